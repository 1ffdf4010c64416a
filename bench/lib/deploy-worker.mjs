#!/usr/bin/env node
// One round of the deploy benchmark in a fresh process, as a user's `serverless deploy` is: loads
// the plugin, packages the service cold (first esbuild call of the process), deploys it without
// waiting for pods (what `deploy --no-wait` does: preflight, namespace, server-side apply, prune),
// then packages and deploys it again unchanged, which must change nothing. Without a kubeconfig it
// only packages once (more cold-package samples for less time). Prints one JSON line.
//   node deploy-worker.mjs '{"pluginBundle","serviceDir","functions","namespace","kubeconfig"?}'
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SERVICE_NAME } from './deploy-service.mjs';

const started = performance.now();
const { pluginBundle, serviceDir, functions, namespace, kubeconfig } = JSON.parse(process.argv[2]);
const plugin = createRequire(import.meta.url)(pluginBundle);
const loadMs = performance.now() - started;

const since = (start) => performance.now() - start;
const messages = [];
const record = (level) => (message) => messages.push(`${level}: ${message}`);
const log = Object.assign(record('log'), {
  error: record('error'),
  warning: record('warning'),
  notice: record('notice'),
  info: record('info'),
  debug: record('debug'),
  success: record('success'),
  verbose: record('verbose'),
});
const utils = {
  log,
  writeText: record('text'),
  progress: { create: () => ({ update() {}, remove() {} }) },
};

const normalizeStart = performance.now();
const model = plugin.normalize({
  service: SERVICE_NAME,
  stage: 'dev',
  servicePath: serviceDir,
  provider: { name: 'kubeless', namespace },
  functions,
});
const normalizeMs = since(normalizeStart);

let client;
const applied = [];
const ctx = {
  model,
  provider: plugin.kubelessProvider,
  options: { wait: false },
  utils,
  outputDir: join(serviceDir, '.serverless'),
  cluster: async () => client,
};

/** packageService (what `deploy` runs first), timed. */
async function packageTimed(push) {
  const packageStart = performance.now();
  const { objects } = await plugin.packageService(ctx, { push });
  return { packageMs: since(packageStart), objects };
}

/** Connects as the plugin does on first use; apply results are recorded (rollout only logs them). */
async function connectTimed() {
  const connectStart = performance.now();
  client = await plugin.connect({ kubeconfigPath: kubeconfig });
  const apply = client.apply.bind(client);
  client.apply = async (...args) => {
    const results = await apply(...args);
    applied.push(results);
    return results;
  };
  return since(connectStart);
}

/** rollout (deploy --no-wait), with its API requests and how many objects the apply changed. */
async function rolloutTimed(objects) {
  const requestsBefore = client.requestCount;
  const appliedBefore = applied.length;
  const rolloutStart = performance.now();
  await plugin.rollout(ctx, objects, model.functions, { prune: true });
  const rolloutMs = since(rolloutStart);
  const results = applied.slice(appliedBefore).flat();
  return {
    rolloutMs,
    requests: client.requestCount - requestsBefore,
    objects: objects.length,
    changed: results.filter((result) => result.changed).length,
  };
}

/** In the CLI's order: package, connect (lazily, on the first cluster call), apply; then again. */
async function deployTwice() {
  const firstPackage = await packageTimed(true);
  const connectMs = await connectTimed();
  const first = {
    packageMs: firstPackage.packageMs,
    ...(await rolloutTimed(firstPackage.objects)),
  };
  const againPackage = await packageTimed(true);
  const again = {
    packageMs: againPackage.packageMs,
    ...(await rolloutTimed(againPackage.objects)),
  };
  const totalRequests = client.requestCount;
  // Not timed: the next round deploys to a namespace of its own.
  await client.delete('v1', 'Namespace', undefined, namespace);
  return { connectMs, first, again, totalRequests };
}

async function packageOnly() {
  const { packageMs, objects } = await packageTimed(false);
  return { first: { packageMs, objects: objects.length } };
}

try {
  const figures = kubeconfig ? await deployTwice() : await packageOnly();
  console.log(
    JSON.stringify({ functions: Object.keys(functions).length, loadMs, normalizeMs, ...figures }),
  );
} catch (error) {
  console.error(messages.join('\n'));
  console.error(error?.stack ?? String(error));
  process.exitCode = 1;
} finally {
  client?.close();
}
