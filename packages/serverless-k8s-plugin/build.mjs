// Builds the plugin for the Serverless Framework v3, which `require()`s plugins: one CommonJS
// file, dist/index.js. dist/package.json marks dist/ as CommonJS (the package itself is ESM).
// Dependencies stay external: they are installed next to the plugin, and esbuild must run its
// own native binary, not a bundled copy.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');

await mkdir(dist, { recursive: true });
await build({
  entryPoints: [join(root, 'src/index.ts')],
  outfile: join(dist, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  external: [
    '@kubernetes/client-node',
    '@serverless-k8s/runtime',
    'esbuild',
    'archiver',
    'js-yaml',
    'serverless',
  ],
  // The framework reads `module.exports` as the plugin class.
  footer: { js: 'module.exports = module.exports.default ?? module.exports;' },
  logLevel: 'warning',
});
await writeFile(join(dist, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
