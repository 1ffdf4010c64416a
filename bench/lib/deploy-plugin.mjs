// Builds the plugin's own source modules (not a copy) into one CommonJS file the deploy benchmark
// can load: dist/index.js only exports the plugin class, while the benchmark times the steps the
// commands are made of. Built like dist/ (build.mjs): same format, target and external packages.
import { symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const ENTRY = `
export { normalize } from './model/normalize.js';
export { packageService } from './commands/package.js';
export { rollout } from './commands/deploy.js';
export { kubelessProvider } from './providers/kubeless/index.js';
export { connect } from './cluster/client.js';
`;

/** Bundles the entry into `<outDir>/plugin-bench.cjs` and returns that path. */
export async function buildPluginForBench(pluginDir, outDir) {
  const requireFromPlugin = createRequire(join(pluginDir, 'package.json'));
  const { build } = requireFromPlugin('esbuild');
  const outfile = join(outDir, 'plugin-bench.cjs');
  await build({
    stdin: { contents: ENTRY, resolveDir: join(pluginDir, 'src'), loader: 'ts' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  // External packages resolve from the bundle's directory: point it at the plugin's dependencies.
  symlinkSync(join(pluginDir, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  return outfile;
}
