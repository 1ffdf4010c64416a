#!/usr/bin/env node
// `pnpm knative-validate FILE...`: Knative Serving v1.4.0's own defaulting and validation (as its
// webhook admits a create) on the Serving objects of YAML files, e.g. what `serverless package`
// wrote to .serverless/. Builds tools/knative-validate once (scripts/build-upstream.sh caches it),
// then runs it: one `<Kind>/<name>: <Knative's message>` line per rejected object; exit 1 if any
// object is rejected, 2 if a file cannot be read.
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write(
    'usage: pnpm knative-validate [--config-dir DIR] FILE...\n' +
      "  Runs Knative Serving's admission checks on the Services, Configurations, Routes and\n" +
      '  DomainMappings in FILE (e.g. .serverless/<service>-<stage>.yaml). DIR holds\n' +
      '  defaults.yaml, features.yaml and autoscaler.yaml (default: the ConfigMaps Knative ships).\n',
  );
  process.exit(2);
}

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
// The build prints its progress on stderr; keep our stdout for the verdicts.
const build = spawnSync('bash', [join(repo, 'scripts', 'build-upstream.sh'), 'knative-validate'], {
  stdio: ['ignore', process.stderr, 'inherit'],
});
if (build.status !== 0) process.exit(build.status ?? 1);

const cache = process.env.SK8S_CACHE_DIR ?? join(homedir(), '.cache', 'serverless-k8s');
const run = spawnSync(join(cache, 'bin', 'knative-validate'), files, { stdio: 'inherit' });
if (run.error) {
  process.stderr.write(`knative-validate: ${run.error.message}\n`);
  process.exit(2);
}
process.exit(run.status ?? 1);
