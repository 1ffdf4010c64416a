#!/usr/bin/env node
// Deploy benchmark: packages and deploys services of 1, 10 and 50 TypeScript functions to the
// local API server (scripts/test-cluster.mjs) with the plugin's own code, and times the real
// `serverless package` CLI for one function against the framework's default zip of the service
// directory, and the real `serverless deploy --no-wait` (first and unchanged). Each round runs every size in a fresh process (a user's `serverless deploy` starts
// cold), sizes interleaved and rotated per round; medians go to a table, the raw figures to
// bench/results/.
//
// Env: BENCH_ROUNDS (default 5), BENCH_SIZES (default 1,10,50), BENCH_COLD_PACKAGES extra
// package-only spawns of the one-function service per round (default 1), BENCH_CLI_ROUNDS (default
// 3; 0 also skips the CLI deploy), BENCH_FRAMEWORK_ZIP=0 skips the framework's zip (~30 s), SK8S_TEST_KUBECONFIG uses a running
// API server instead of starting one.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildPluginForBench } from './lib/deploy-plugin.mjs';
import { SERVICE_NAME, functionsConfig, writeService } from './lib/deploy-service.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pluginDir = join(root, 'packages', 'serverless-k8s-plugin');
const serverlessCli = join(pluginDir, 'node_modules', 'serverless', 'bin', 'serverless.js');
const worker = join(root, 'bench', 'lib', 'deploy-worker.mjs');

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const sizes = (process.env.BENCH_SIZES ?? '1,10,50').split(',').map(Number);
const extraColdPackages = Number(process.env.BENCH_COLD_PACKAGES ?? 1);
const cliRounds = Number(process.env.BENCH_CLI_ROUNDS ?? 3);
const frameworkZip = process.env.BENCH_FRAMEWORK_ZIP !== '0';
const TARGETS = { oneFunctionPackageMs: 300, fiftyFunctionsDeployMs: 10_000 };
const FRAMEWORK_ZIP_TIMEOUT_MS = 120_000;
const CLI_ENV = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };

const progress = (message) => process.stderr.write(`[bench:deploy] ${message}\n`);
const ms = (value) => (value === undefined ? '-' : `${Math.round(value)}`);

function median(values) {
  const sorted = values.filter((value) => value !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs a command to completion; resolves with its output and wall time (spawn to exit). */
function run(args, { cwd, env = process.env, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      if (code === 0) resolve({ stdout, stderr, wallMs });
      else
        reject(
          new Error(
            `${args.map((arg) => arg.replace(root, '.')).join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr || stdout}`,
          ),
        );
    });
  });
}

// ---- the API server ---------------------------------------------------------------------------

function startCluster(stateDir) {
  progress('starting the test API server (scripts/test-cluster.mjs up)');
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'test-cluster.mjs'), 'up'], {
    env: { ...process.env, SK8S_TEST_CLUSTER_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const kubeconfig = /^KUBECONFIG=(.+)$/m.exec(result.stdout ?? '')?.[1];
  if (result.status !== 0 || !kubeconfig) throw new Error('the test API server did not start');
  return kubeconfig;
}

function stopCluster(stateDir) {
  spawnSync(process.execPath, [join(root, 'scripts', 'test-cluster.mjs'), 'down'], {
    env: { ...process.env, SK8S_TEST_CLUSTER_DIR: stateDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

// ---- measurements -----------------------------------------------------------------------------

async function workerRound(pluginBundle, serviceDirs, functionCount, namespace, kubeconfig) {
  const input = {
    pluginBundle,
    serviceDir: serviceDirs.get(functionCount),
    functions: functionsConfig(functionCount),
    namespace,
    kubeconfig,
  };
  const { stdout, wallMs } = await run([worker, JSON.stringify(input)]);
  return { ...JSON.parse(stdout), processWallMs: wallMs };
}

/** The real `serverless package` in a fresh process; `Packaged … in N ms` is the plugin's own figure. */
async function cliPackage(serviceDir) {
  rmSync(join(serviceDir, '.serverless'), { recursive: true, force: true });
  const { stdout, stderr, wallMs } = await run([serverlessCli, 'package'], {
    cwd: serviceDir,
    env: CLI_ENV,
  });
  const reported = /Packaged \d+ functions? in (\d+) ms/.exec(stdout + stderr)?.[1];
  if (!reported)
    throw new Error(`serverless package printed no "Packaged" line:\n${stdout}${stderr}`);
  return { wallMs, pluginPackageMs: Number(reported) };
}

/**
 * The real `serverless deploy --no-wait` in a fresh process; `changed` is false when the plugin
 * reported "No changes".
 */
async function cliDeploy(serviceDir, kubeconfig) {
  const { stdout, stderr, wallMs } = await run([serverlessCli, 'deploy', '--no-wait'], {
    cwd: serviceDir,
    env: { ...CLI_ENV, KUBECONFIG: kubeconfig },
  });
  return { wallMs, changed: !/No changes:/.test(stdout + stderr) };
}

/** The framework's own packaging (aws provider, no plugin): a zip of the service directory. */
async function frameworkPackage(serviceDir) {
  const { wallMs } = await run([serverlessCli, 'package'], {
    cwd: serviceDir,
    env: CLI_ENV,
    timeoutMs: FRAMEWORK_ZIP_TIMEOUT_MS,
  });
  return {
    wallMs,
    zipBytes: statSync(join(serviceDir, '.serverless', `${SERVICE_NAME}.zip`)).size,
  };
}

/** A service directory as a user has it: the plugin installed (linked) in node_modules. */
function linkedService(dir, functionCount, options) {
  writeService(dir, functionCount, options);
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(pluginDir, join(dir, 'node_modules', 'serverless-k8s'), 'dir');
  return dir;
}

// ---- main -------------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'sk8s-bench-deploy-'));
const clusterDir = join(work, 'cluster');
const ownCluster = !process.env.SK8S_TEST_KUBECONFIG;
const cleanup = () => {
  if (ownCluster) stopCluster(clusterDir);
  rmSync(work, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    cleanup();
    process.exit(130);
  });
}

// Other work on the machine moves every figure here; the load average says how much there was.
const loadAverage = { start: loadavg()[0] };
const runs = Object.fromEntries(sizes.map((size) => [size, []]));
const coldPackages = [];
const cli = [];
const cliDeploys = {};
let framework;
try {
  const pluginBundle = await buildPluginForBench(pluginDir, work);
  const serviceDirs = new Map(sizes.map((size) => [size, join(work, `service-${size}`)]));
  for (const [size, dir] of serviceDirs) writeService(dir, size);
  // Namespaces are never reused: without a controller manager a deleted one stays Terminating.
  const runId = Date.now().toString(36);
  const cliService = linkedService(join(work, 'cli-1'), 1, { namespace: `bench-${runId}-cli` });
  const kubeconfig = process.env.SK8S_TEST_KUBECONFIG ?? startCluster(clusterDir);

  for (let round = 1; round <= rounds; round++) {
    const order = sizes.map((_, i) => sizes[(i + round - 1) % sizes.length]);
    for (const size of order) {
      const namespace = `bench-${runId}-r${round}-n${size}`;
      const figures = await workerRound(pluginBundle, serviceDirs, size, namespace, kubeconfig);
      runs[size].push(figures);
      const { first, again } = figures;
      progress(
        `round ${round}/${rounds} ${String(size).padStart(2)} fn: package ${ms(first.packageMs)} ms, ` +
          `connect ${ms(figures.connectMs)} ms, deploy ${ms(first.rolloutMs)} ms / ${first.requests} req ` +
          `(${first.changed}/${first.objects} changed), redeploy ${ms(again.rolloutMs)} ms / ` +
          `${again.requests} req (${again.changed} changed)`,
      );
    }
    if (sizes.includes(1)) {
      coldPackages.push(runs[1].at(-1).first.packageMs);
      for (let i = 0; i < extraColdPackages; i++) {
        const figures = await workerRound(pluginBundle, serviceDirs, 1, 'unused', undefined);
        coldPackages.push(figures.first.packageMs);
      }
    }
    if (round <= cliRounds) {
      const figures = await cliPackage(cliService);
      cli.push(figures);
      progress(
        `round ${round}/${rounds} serverless package (1 fn): ${ms(figures.wallMs)} ms wall, ` +
          `plugin ${figures.pluginPackageMs} ms`,
      );
    }
  }
  if (cliRounds > 0) {
    for (const attempt of ['first', 'again']) {
      cliDeploys[attempt] = await cliDeploy(cliService, kubeconfig);
      progress(
        `serverless deploy --no-wait (1 fn, ${attempt}): ${ms(cliDeploys[attempt].wallMs)} ms wall, ` +
          `${cliDeploys[attempt].changed ? 'changed' : 'no changes'}`,
      );
    }
  }
  if (frameworkZip) {
    progress('serverless package with the framework zip (aws provider, 1 fn), once');
    try {
      framework = await frameworkPackage(
        linkedService(join(work, 'framework-1'), 1, { frameworkPackaging: true }),
      );
    } catch (error) {
      framework = { error: error.message.split('\n')[0] };
    }
  }
} finally {
  loadAverage.end = loadavg()[0];
  cleanup();
}

// ---- report -----------------------------------------------------------------------------------

const summary = Object.fromEntries(
  sizes.map((size) => {
    const of = (pick) => median(runs[size].map(pick));
    return [
      size,
      {
        packageMs: of((r) => r.first.packageMs),
        warmPackageMs: of((r) => r.again.packageMs),
        connectMs: of((r) => r.connectMs),
        deployMs: of((r) => r.first.rolloutMs),
        deployRequests: of((r) => r.first.requests),
        objects: of((r) => r.first.objects),
        redeployMs: of((r) => r.again.rolloutMs),
        redeployRequests: of((r) => r.again.requests),
        redeployChangedMax: Math.max(...runs[size].map((r) => r.again.changed)),
        firstUnchangedMax: Math.max(...runs[size].map((r) => r.first.objects - r.first.changed)),
        totalMs: of((r) => r.first.packageMs + r.connectMs + r.first.rolloutMs),
        processWallMs: of((r) => r.processWallMs),
      },
    ];
  }),
);

console.log(
  `\nMedians of ${rounds} rounds, a fresh process per size and round; 1-minute load average ` +
    `${loadAverage.start.toFixed(1)} at the start, ${loadAverage.end.toFixed(1)} at the end:`,
);
console.table(
  sizes.map((size) => {
    const s = summary[size];
    return {
      functions: size,
      objects: s.objects,
      'package ms (cold)': ms(s.packageMs),
      'package ms (warm)': ms(s.warmPackageMs),
      'connect ms': ms(s.connectMs),
      'deploy ms': ms(s.deployMs),
      'deploy req': s.deployRequests,
      'redeploy ms': ms(s.redeployMs),
      'redeploy req': s.redeployRequests,
      'redeploy changed': s.redeployChangedMax,
      'package+connect+deploy ms': ms(s.totalMs),
      'process wall ms': ms(s.processWallMs),
    };
  }),
);
console.log(
  'package = normalize excluded, bundle + zip + render + YAML (cold: first esbuild call of the ' +
    'process); connect = kubeconfig + @kubernetes/client-node load; deploy = deploy --no-wait ' +
    '(preflight, namespace, server-side apply, prune); redeploy = same objects again.',
);

const oneFnCold = median(coldPackages);
// The fastest sample is the least disturbed by other work on the machine.
const oneFnColdMin = coldPackages.length > 0 ? Math.min(...coldPackages) : undefined;
const cliWall = median(cli.map((c) => c.wallMs));
const cliPlugin = median(cli.map((c) => c.pluginPackageMs));
if (cli.length > 0) {
  console.log(
    `\nserverless package, 1 function, fresh process (median of ${cli.length}): ${ms(cliWall)} ms wall, ` +
      `of which the plugin's packaging ${ms(cliPlugin)} ms`,
  );
}
if (cliDeploys.again) {
  console.log(
    `serverless deploy --no-wait, 1 function, fresh process (1 run each): first ` +
      `${ms(cliDeploys.first.wallMs)} ms wall, unchanged redeploy ${ms(cliDeploys.again.wallMs)} ms wall ` +
      `(${cliDeploys.again.changed ? 'CHANGED objects' : '"No changes"'})`,
  );
}
if (framework?.wallMs !== undefined) {
  console.log(
    `framework default (aws provider zip of the service dir, same files and node_modules, 1 run): ` +
      `${ms(framework.wallMs)} ms wall, zip ${(framework.zipBytes / 1024 / 1024).toFixed(1)} MiB` +
      (cliWall ? ` (${(framework.wallMs / cliWall).toFixed(1)}× the plugin's)` : ''),
  );
} else if (framework?.error) {
  console.log(`framework default zip: not measured (${framework.error})`);
}

const verdicts = [];
if (oneFnCold !== undefined) {
  verdicts.push([
    `one TS function packaged (cold, median of ${coldPackages.length})`,
    oneFnCold < TARGETS.oneFunctionPackageMs,
    `${ms(oneFnCold)} ms < ${TARGETS.oneFunctionPackageMs} ms (fastest sample ${ms(oneFnColdMin)} ms)`,
  ]);
}
if (summary[50]) {
  verdicts.push([
    '50 functions packaged and applied',
    summary[50].totalMs < TARGETS.fiftyFunctionsDeployMs,
    `${ms(summary[50].totalMs)} ms < ${TARGETS.fiftyFunctionsDeployMs} ms`,
  ]);
}
if (cliDeploys.again) {
  verdicts.push([
    'serverless deploy twice: the second reports no changes',
    !cliDeploys.again.changed,
    cliDeploys.again.changed ? 'the second deploy changed objects' : '"No changes"',
  ]);
}
for (const size of sizes) {
  verdicts.push([
    `${size} fn: first deploy changes every object, redeploy changes none`,
    summary[size].firstUnchangedMax === 0 && summary[size].redeployChangedMax === 0,
    `redeploy changed ≤ ${summary[size].redeployChangedMax}`,
  ]);
}
console.log('');
for (const [name, ok, detail] of verdicts)
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: ${detail}`);

const resultsDir = join(root, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, `deploy-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      loadAverage,
      rounds,
      sizes,
      targets: TARGETS,
      summary,
      oneFunctionColdPackageMs: { median: oneFnCold, min: oneFnColdMin, samples: coldPackages },
      cli: {
        medianWallMs: cliWall,
        medianPluginPackageMs: cliPlugin,
        runs: cli,
        deploys: cliDeploys,
      },
      frameworkZip: framework,
      runs,
      verdicts: verdicts.map(([name, pass, detail]) => ({ name, pass, detail })),
    },
    null,
    2,
  )}\n`,
);
console.log(`\nraw figures: ${file.replace(`${root}/`, '')}`);
if (verdicts.some(([, ok]) => !ok)) process.exitCode = 1;
