#!/usr/bin/env node
// Makes a fresh clone ready: installs the workspace with the pinned pnpm when the lockfile changed
// since the last install, then builds the packages. Both README commands start here.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmSpec = pkg.packageManager; // e.g. pnpm@10.34.9
const pnpmBin = join(root, 'node_modules', '.bin', 'pnpm');
const stamp = join(root, 'node_modules', '.sk8s-install-stamp');
const lock = join(root, 'pnpm-lock.yaml');
const lockHash = createHash('sha256')
  .update(existsSync(lock) ? readFileSync(lock) : '')
  .update(readFileSync(join(root, 'package.json')))
  .digest('hex');

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`[bootstrap] \`${[cmd, ...args].join(' ')}\` failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

const frozen = process.env.CI ? ['--frozen-lockfile'] : [];
const installed = existsSync(stamp) && readFileSync(stamp, 'utf8') === lockHash;
if (!installed) {
  console.error(`[bootstrap] installing the workspace with ${pnpmSpec}`);
  run('npx', ['-y', pnpmSpec, 'install', '--reporter=append-only', ...frozen]);
}
if (!process.env.SK8S_SKIP_BUILD) run(pnpmBin, ['run', 'build']);
if (!installed) {
  // The runtime's bin exists only after the build: link it into the workspace now.
  run(pnpmBin, ['install', '--offline', '--reporter=silent', ...frozen]);
  writeFileSync(stamp, lockHash);
}
