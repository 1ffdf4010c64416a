// Vitest global setup of the cluster projects: brings the test cluster up once per run with
// scripts/test-cluster.mjs (state in a fresh temporary directory) and takes it down afterwards, also when
// the run fails or is interrupted. The `cluster` project gets a plain etcd + kube-apiserver, the `e2e`
// project one with the real controllers and the node agent (global-setup-controllers.ts).
// With SK8S_TEST_KUBECONFIG set, that cluster is used and nothing starts.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const script = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'scripts',
  'test-cluster.mjs',
);
const exportedEnv = [
  'KUBECONFIG',
  'SK8S_TEST_KUBECONFIG',
  'SK8S_TEST_UNPRIVILEGED_KUBECONFIG',
] as const;

// Killed on interruption, so it cannot start the apiserver after `down` has run.
let upProcess: ChildProcess | undefined;

function runUp(stateDir: string, controllers: boolean): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [script, 'up', ...(controllers ? ['--controllers'] : [])],
      {
        env: { ...process.env, SK8S_TEST_CLUSTER_DIR: stateDir },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    upProcess = child;
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      upProcess = undefined;
      const kubeconfig = /^KUBECONFIG=(.+)$/m.exec(stdout)?.[1];
      if (code === 0 && kubeconfig) resolvePromise(kubeconfig);
      else reject(new Error(`test-cluster up failed (exit ${code}); its output is above`));
    });
  });
}

// Synchronous so it can also run from a process 'exit' handler.
function runDown(stateDir: string): void {
  execFileSync(process.execPath, [script, 'down'], {
    env: { ...process.env, SK8S_TEST_CLUSTER_DIR: stateDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export async function setUpCluster(
  project: TestProject,
  controllers: boolean,
): Promise<(() => void) | undefined> {
  const external = process.env.SK8S_TEST_KUBECONFIG;
  if (external) {
    project.provide('sk8sKubeconfig', external);
    project.provide(
      'sk8sUnprivilegedKubeconfig',
      process.env.SK8S_TEST_UNPRIVILEGED_KUBECONFIG ?? '',
    );
    project.provide('sk8sClusterId', `x${randomBytes(2).toString('hex')}`);
    process.env.KUBECONFIG = external;
    return undefined;
  }

  const stateDir = mkdtempSync(join(tmpdir(), 'sk8s-test-cluster-'));
  const previousEnv = Object.fromEntries(exportedEnv.map((name) => [name, process.env[name]]));
  let downDone = false;
  const teardown = (): void => {
    if (downDone) return;
    downDone = true;
    process.off('exit', teardown);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    upProcess?.kill('SIGKILL');
    runDown(stateDir);
    for (const name of exportedEnv) {
      if (previousEnv[name] === undefined) delete process.env[name];
      else process.env[name] = previousEnv[name];
    }
  };
  // An interrupted run (Ctrl-C, a crash in vitest) still stops the detached apiserver and etcd; the
  // signal is raised again afterwards so the process ends as it would have.
  const onSignal = (signal: NodeJS.Signals): void => {
    teardown();
    process.kill(process.pid, signal);
  };
  process.on('exit', teardown);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const kubeconfig = await runUp(stateDir, controllers);
    const info = JSON.parse(readFileSync(join(stateDir, 'cluster.json'), 'utf8')) as {
      clusterId: string;
      unprivilegedKubeconfig: string;
    };
    project.provide('sk8sKubeconfig', kubeconfig);
    project.provide('sk8sUnprivilegedKubeconfig', info.unprivilegedKubeconfig);
    project.provide('sk8sClusterId', info.clusterId);
    // Code under test (the plugin's cluster client) finds the cluster the way a user's shell would.
    process.env.KUBECONFIG = kubeconfig;
    process.env.SK8S_TEST_KUBECONFIG = kubeconfig;
    process.env.SK8S_TEST_UNPRIVILEGED_KUBECONFIG = info.unprivilegedKubeconfig;
  } catch (err) {
    teardown();
    throw err;
  }
  return teardown;
}

export default function setup(project: TestProject): Promise<(() => void) | undefined> {
  return setUpCluster(project, false);
}
