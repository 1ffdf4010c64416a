// Builds dist/: index.js (ESM), index.cjs (CommonJS), cli.js (the bin), and type declarations
// (.d.ts for import, .d.cts for require). Only `cloudevents` stays external, so the output is
// self-contained enough for the plugin to bundle it again.
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['cloudevents'],
  logLevel: 'warning',
  legalComments: 'none',
};

await Promise.all([
  build({
    ...common,
    entryPoints: [join(here, 'src/index.ts')],
    format: 'esm',
    outfile: join(dist, 'index.js'),
  }),
  build({
    ...common,
    entryPoints: [join(here, 'src/index.ts')],
    format: 'cjs',
    outfile: join(dist, 'index.cjs'),
  }),
  build({
    ...common,
    entryPoints: [join(here, 'src/cli.ts')],
    format: 'esm',
    outfile: join(dist, 'cli.js'),
    banner: { js: '#!/usr/bin/env node' },
  }),
]);

chmodSync(join(dist, 'cli.js'), 0o755);

const tsc = join(here, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(
  process.execPath,
  [tsc, '-p', join(here, 'tsconfig.build.json'), '--emitDeclarationOnly'],
  {
    stdio: 'inherit',
  },
);

// CommonJS consumers resolve `require` types to .d.cts files whose relative imports point at .cjs.
for (const file of readdirSync(dist)) {
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(join(dist, file), 'utf8').replace(/(from '\.\/[^']+)\.js'/g, "$1.cjs'");
  writeFileSync(join(dist, file.replace(/\.d\.ts$/, '.d.cts')), text);
}
