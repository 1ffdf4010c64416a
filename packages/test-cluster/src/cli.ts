// The test cluster, for the integration and end-to-end tests and for trying the plugin locally:
//   test-cluster up [--controllers]   start (or reuse) the cluster, print KUBECONFIG=<path>, exit 0
//   test-cluster down                 stop everything `up` started, delete its netns and state
//   test-cluster status               print whether the cluster in the state dir is running
// `up` alone is a real etcd + kube-apiserver with the CRDs: fast, and the tests play the
// controllers. `up --controllers` adds kube-controller-manager, kube-scheduler, Kubeless's own
// controllers, a node agent that runs pods as processes and a Knative Serving stand-in.
// State dir: $SK8S_TEST_CLUSTER_DIR or <repo>/.test-cluster. Progress goes to stderr; stdout carries
// only the KUBECONFIG line, so callers can parse it. Tokens are written to files, never printed.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KubeApi } from './kube-api.js';
import {
  ClusterError,
  createDefaultServiceAccount,
  installManifests,
  startApiserver,
} from './cluster/apiserver.js';
import { startControllers } from './cluster/controllers.js';
import { freePodSubnet, freeServiceSubnet, sweepHostNetwork } from './cluster/host-network.js';
import {
  binaries,
  repoRoot,
  stateLayout,
  type ClusterInfo,
  type StateLayout,
} from './cluster/layout.js';
import { isRunning, logTail, stopProcess } from './cluster/processes.js';

const log = (message: string): void => void process.stderr.write(`[test-cluster] ${message}\n`);

const layout: StateLayout = stateLayout(
  resolve(process.env.SK8S_TEST_CLUSTER_DIR || join(repoRoot, '.test-cluster')),
);

const readInfo = (): ClusterInfo | undefined =>
  existsSync(layout.info)
    ? (JSON.parse(readFileSync(layout.info, 'utf8')) as ClusterInfo)
    : undefined;

function requireRoot(what: string): void {
  if (process.getuid?.() !== 0)
    throw new ClusterError(`${what} needs root (network namespaces, mounts, apt-get)`);
}

/** The builds are shell scripts (apt-get, make, go); each is a no-op once its result is cached. */
function ensureBuilt(controllers: boolean): void {
  const k8s = [binaries.apiserver, binaries.controllerManager, binaries.scheduler];
  if (!k8s.every(existsSync)) {
    log(
      'building Kubernetes v1.20.2 (kube-apiserver, kube-controller-manager, kube-scheduler) once: about 10-20 minutes cold on 2 cores',
    );
    execFileSync('bash', [join(repoRoot, 'scripts', 'build-k8s.sh')], { stdio: ['ignore', 2, 2] });
  } else {
    execFileSync('bash', [join(repoRoot, 'scripts', 'system-packages.sh')], {
      stdio: ['ignore', 2, 2],
    });
  }
  if (controllers) {
    execFileSync('bash', [join(repoRoot, 'scripts', 'build-upstream.sh')], {
      stdio: ['ignore', 2, 2],
    });
  }
}

async function healthy(info: ClusterInfo | undefined): Promise<boolean> {
  if (!info?.readyAt) return false;
  const procs = layout.processes;
  const expected = [procs.etcd, procs.apiserver];
  if (info.controllers) expected.push(...Object.values(procs).filter((p) => !expected.includes(p)));
  if (!expected.every(isRunning)) return false;
  try {
    const api = KubeApi.fromKubeconfig(info.kubeconfig);
    const ready = (await api.request('GET', '/readyz')).status === 200;
    api.close();
    return ready;
  } catch {
    return false;
  }
}

async function up(controllers: boolean): Promise<void> {
  const started = Date.now();
  const existing = readInfo();
  if ((await healthy(existing)) && !!existing?.controllers === controllers) {
    log(`already running (${existing?.server ?? ''}), state in ${layout.stateDir}`);
    process.stdout.write(`KUBECONFIG=${layout.adminKubeconfig}\n`);
    return;
  }
  if (existsSync(layout.stateDir)) await down(true); // stale, half-started, or of the other kind
  requireRoot('test-cluster up');
  ensureBuilt(controllers);

  const { info, admin, controllerToken } = await startApiserver(layout, {
    serviceSubnet: freeServiceSubnet(),
    log,
  });
  const crdCount = await installManifests(admin, log);
  if (controllers) {
    const plan = {
      bridge: `sk8sb${info.clusterId}`,
      podSubnet: freePodSubnet(),
      nodeName: 'sk8s-node',
    };
    info.controllers = plan;
    writeFileSync(layout.info, JSON.stringify(info, null, 2), { mode: 0o600 });
    await startControllers(layout, info, admin, {
      controllerToken,
      bridge: plan.bridge,
      podSubnet: plan.podSubnet,
      log,
    });
  } else {
    await createDefaultServiceAccount(admin);
  }
  admin.close();
  log(
    `ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${info.server}, ${crdCount} CRDs` +
      `${controllers ? ', controllers and a node' : ''}, state in ${layout.stateDir}`,
  );
  // Marks the start-up as complete: a second `up` reuses only a cluster that got this far.
  writeFileSync(
    layout.info,
    JSON.stringify({ ...info, readyAt: new Date().toISOString() }, null, 2),
    { mode: 0o600 },
  );
  process.stdout.write(`KUBECONFIG=${layout.adminKubeconfig}\n`);
}

async function down(quiet = false): Promise<void> {
  const info = readInfo();
  const procs = layout.processes;
  // Controllers first (so nothing recreates what the node agent stops), then the node agent, which
  // kills its pods and removes their network, then the API server before etcd.
  await Promise.all(
    [
      procs.functionController,
      procs.httpTriggerController,
      procs.cronjobTriggerController,
      procs.knativeServing,
      procs.scheduler,
      procs.controllerManager,
    ].map((p) => stopProcess(p, 5_000, log)),
  );
  await stopProcess(procs.nodeAgent, 30_000, log);
  await stopProcess(procs.apiserver, 5_000, log);
  await stopProcess(procs.etcd, 5_000, log);
  if (info?.netnsPrefix) sweepHostNetwork(info.netnsPrefix, info.controllers?.bridge);
  // Only what `up` wrote is removed, so a state dir pointed at an existing directory loses nothing else.
  const written = [
    layout.info,
    layout.etcdData,
    layout.certDir,
    layout.tokens,
    layout.saKey,
    layout.saCrt,
    layout.adminKubeconfig,
    layout.unprivilegedKubeconfig,
    layout.controllersDir,
    layout.nodeDir,
    ...Object.values(procs).flatMap((p) => [p.pidFile, p.logFile]),
  ];
  for (const path of written) rmSync(path, { recursive: true, force: true });
  let removed = true;
  try {
    rmdirSync(layout.stateDir);
  } catch (err) {
    removed = (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
  if (!removed) log(`left ${layout.stateDir} in place: it holds files test-cluster did not write`);
  if (!quiet)
    log(
      info
        ? `stopped ${info.server} and removed its state`
        : `nothing running in ${layout.stateDir}`,
    );
}

async function status(): Promise<number> {
  const info = readInfo();
  if (await healthy(info)) {
    log(
      `running: ${info?.server ?? ''}${info?.controllers ? ' with controllers' : ''}, state in ${layout.stateDir}`,
    );
    process.stdout.write(`KUBECONFIG=${layout.adminKubeconfig}\n`);
    return 0;
  }
  log(
    info
      ? `not healthy (state in ${layout.stateDir}; run down)`
      : `not running (no state in ${layout.stateDir})`,
  );
  return 1;
}

function printLogTails(): void {
  for (const proc of Object.values(layout.processes)) {
    const tail = logTail(proc.logFile);
    if (tail) log(`last lines of ${proc.logFile}:\n${tail}`);
  }
}

const [command, ...flags] = process.argv.slice(2);
const unknown = flags.filter((f) => f !== '--controllers');
try {
  if (unknown.length > 0) throw new ClusterError(`unknown option ${unknown.join(' ')}`);
  if (command === 'up') await up(flags.includes('--controllers'));
  else if (command === 'down') await down();
  else if (command === 'status') process.exitCode = await status();
  else {
    process.stderr.write(
      'usage: test-cluster up [--controllers] | down | status   (state dir: $SK8S_TEST_CLUSTER_DIR)\n',
    );
    process.exitCode = 2;
  }
} catch (err) {
  const known = err instanceof ClusterError || (err as { status?: number }).status !== undefined;
  log(known ? (err as Error).message : ((err as Error).stack ?? String(err)));
  if (command === 'up') {
    printLogTails();
    log('start-up failed: stopping what was started');
    if (!process.env.SK8S_DEBUG_KEEP) await down(true).catch(() => undefined);
  }
  process.exitCode = 1;
}
