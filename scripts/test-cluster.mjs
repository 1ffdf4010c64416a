#!/usr/bin/env node
// `pnpm test-cluster up [--controllers] | down | status`: the project's local Kubernetes cluster
// (packages/test-cluster; see docs/testing.md). Runs the built CLI; `pnpm build` makes it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'packages',
  'test-cluster',
  'dist',
  'cli.js',
);
if (!existsSync(cli)) {
  process.stderr.write(
    `[test-cluster] ${cli} is missing: run \`npm run bootstrap\` (or pnpm build) first\n`,
  );
  process.exit(1);
}
await import(pathToFileURL(cli).href);
