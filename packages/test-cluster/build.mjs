// Builds the test cluster's programs as ESM bundles for plain `node`: the CLI behind
// scripts/test-cluster.mjs, the node agent and the Knative Serving stand-in it starts as their own
// processes, and the library the test harness imports.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: {
    index: join(root, 'src/index.ts'),
    cli: join(root, 'src/cli.ts'),
    'node-agent': join(root, 'src/node-agent/main.ts'),
    'knative-serving': join(root, 'src/knative-serving/main.ts'),
  },
  outdir: join(root, 'dist'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: ['js-yaml'],
  logLevel: 'warning',
});
