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

/** packageService → rollout, timed apart, with the API requests and apply results of the rollout. */
async function deployOnce() {
  const packageStart = performance.now();
  const { objects } = await plugin.packageService(ctx, { push: true });
  const packageMs = since(packageStart);
  const requestsBefore = client.requestCount;
  const appliedBefore = applied.length;
  const rolloutStart = performance.now();
  await plugin.rollout(ctx, objects, model.functions, { prune: true });
  const rolloutMs = since(rolloutStart);
  const results = applied.slice(appliedBefore).flat();
  return {
    packageMs,
    rolloutMs,
    requests: client.requestCount - requestsBefore,
    objects: objects.length,
    changed: results.filter((result) => result.changed).length,
  };
}

async function packageOnly() {
  const packageStart = performance.now();
  const { objects } = await plugin.packageService(ctx, { push: false });
  return { packageMs: since(packageStart), objects: objects.length };
}

async function deployTwice() {
  const connectStart = performance.now();
  client = await plugin.connect({ kubeconfigPath: kubeconfig });
  const connectMs = since(connectStart);
  // Recorded so the benchmark can check what each apply changed (rollout only logs it).
  const apply = client.apply.bind(client);
  client.apply = async (...args) => {
    const results = await apply(...args);
    applied.push(results);
    return results;
  };
  const first = await deployOnce();
  const again = await deployOnce();
  const totalRequests = client.requestCount;
  // Not timed: the next round deploys to a namespace of its own.
  await client.delete('v1', 'Namespace', undefined, namespace);
  return { connectMs, first, again, totalRequests };
}

try {
  const figures = kubeconfig ? await deployTwice() : { first: await packageOnly() };
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
