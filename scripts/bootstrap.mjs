#!/usr/bin/env node
// Makes a fresh clone ready: installs the workspace with the pinned pnpm when the lockfile changed
// since the last install, then builds the packages. Both README commands start here.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmSpec = pkg.packageManager; // e.g. pnpm@10.34.9
const stamp = join(root, 'node_modules', '.sk8s-install-stamp');
const lock = join(root, 'pnpm-lock.yaml');
const lockHash = createHash('sha256')
  .update(existsSync(lock) ? readFileSync(lock) : '')
  .update(readFileSync(join(root, 'package.json')))
  .digest('hex');

const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lockHash) {
  console.error(`[bootstrap] installing the workspace with ${pnpmSpec}`);
  const frozen = process.env.CI ? ['--frozen-lockfile'] : [];
  run('npx', ['-y', pnpmSpec, 'install', ...frozen]);
  writeFileSync(stamp, lockHash);
}
if (!process.env.SK8S_SKIP_BUILD) {
  run(join(root, 'node_modules', '.bin', 'pnpm'), ['run', '--silent', 'build']);
}
