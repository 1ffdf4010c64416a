#!/usr/bin/env node
// The README's test command after bootstrap: lint, typecheck, unit tests, then integration and
// end-to-end tests against a real kube-apiserver (brought up by the vitest global setup).
// Ends with one `N passed, N failed, N skipped` line summing every vitest run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const reports = mkdtempSync(join(tmpdir(), 'sk8s-test-'));

function step(title, cmd, args) {
  console.log(`\n=== ${title}`);
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  return result.status === 0;
}

const totals = { passed: 0, failed: 0, skipped: 0 };
function vitest(project) {
  const out = join(reports, `${project}.json`);
  const ok = step(`vitest: ${project}`, bin('vitest'), [
    'run',
    '--project',
    project,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
  ]);
  if (existsSync(out)) {
    const report = JSON.parse(readFileSync(out, 'utf8'));
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests;
    totals.skipped += report.numPendingTests + report.numTodoTests;
  } else if (!ok) {
    totals.failed += 1; // the run died before reporting: count it as a failure
  }
  return ok;
}

const only = process.argv.slice(2);
const wants = (name) => only.length === 0 || only.includes(name);
const results = [];
if (wants('lint')) results.push(step('lint', bin('pnpm'), ['run', '--silent', 'lint']));
if (wants('typecheck'))
  results.push(step('typecheck', bin('pnpm'), ['run', '--silent', 'typecheck']));
if (wants('unit')) results.push(vitest('unit'));
if (wants('cluster')) results.push(vitest('cluster'));
if (wants('e2e')) {
  // The e2e cluster runs upstream programs built from pinned sources: ../shared/third_party when
  // it is there, else fetched from GitHub. Offline without them, the e2e tests cannot run: say so.
  const built = spawnSync('bash', [join(root, 'scripts', 'build-upstream.sh')], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (built.status === 3) {
    console.log(
      '\n=== vitest: e2e SKIPPED: the upstream sources of Kubeless and Knative are not available ' +
        '(no ../shared/third_party and no access to github.com; see the lines above)',
    );
    totals.skipped += 1;
  } else if (built.status !== 0) {
    console.log(`\n=== build-upstream.sh failed (exit ${built.status}); the e2e tests need it`);
    results.push(false);
  } else {
    results.push(vitest('e2e'));
  }
}

const failedSteps = results.filter((ok) => !ok).length;
if (failedSteps > 0 && totals.failed === 0) totals.failed = failedSteps;
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(results.every(Boolean) ? 0 : 1);
