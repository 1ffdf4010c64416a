// Where everything lives: the repository's scripts and manifests, the build cache, and one
// cluster's state directory ($SK8S_TEST_CLUSTER_DIR or <repo>/.test-cluster).
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ManagedProcess } from './processes.js';

/** packages/test-cluster (this file is bundled into dist/, one level below it). */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(packageRoot, '..', '..');
export const manifestsDir = join(packageRoot, 'manifests');
export const cacheDir = process.env.SK8S_CACHE_DIR || join(homedir(), '.cache', 'serverless-k8s');
export const binDir = join(cacheDir, 'bin');

export const binaries = {
  apiserver: process.env.SK8S_KUBE_APISERVER || join(binDir, 'kube-apiserver'),
  controllerManager: join(binDir, 'kube-controller-manager'),
  scheduler: join(binDir, 'kube-scheduler'),
  functionController: join(binDir, 'kubeless-function-controller'),
  httpTriggerController: join(binDir, 'kubeless-http-trigger-controller'),
  cronjobTriggerController: join(binDir, 'kubeless-cronjob-trigger-controller'),
  knativeValidate: join(binDir, 'knative-validate'),
  kubelessRuntime: join(cacheDir, 'kubeless-runtime-nodejs'),
};

export function stateLayout(stateDir: string) {
  const proc = (name: string, marker: string): ManagedProcess => ({
    name,
    marker,
    pidFile: join(stateDir, `${name}.pid`),
    logFile: join(stateDir, `${name}.log`),
  });
  return {
    stateDir,
    info: join(stateDir, 'cluster.json'),
    etcdData: join(stateDir, 'etcd-data'),
    certDir: join(stateDir, 'certs'),
    tokens: join(stateDir, 'tokens.csv'),
    saKey: join(stateDir, 'sa.key'),
    saCrt: join(stateDir, 'sa.crt'),
    adminKubeconfig: join(stateDir, 'admin.kubeconfig'),
    unprivilegedKubeconfig: join(stateDir, 'unprivileged.kubeconfig'),
    controllersDir: join(stateDir, 'controllers'),
    nodeDir: join(stateDir, 'node'),
    processes: {
      etcd: proc('etcd', 'etcd'),
      apiserver: proc('apiserver', 'kube-apiserver'),
      controllerManager: proc('kube-controller-manager', 'kube-controller-manager'),
      scheduler: proc('kube-scheduler', 'kube-scheduler'),
      nodeAgent: proc('node-agent', 'node-agent.js'),
      knativeServing: proc('knative-serving', 'knative-serving.js'),
      functionController: proc('kubeless-function-controller', 'kubeless-function-controller'),
      httpTriggerController: proc(
        'kubeless-http-trigger-controller',
        'kubeless-http-trigger-controller',
      ),
      cronjobTriggerController: proc(
        'kubeless-cronjob-trigger-controller',
        'kubeless-cronjob-trigger-controller',
      ),
    },
  };
}

export type StateLayout = ReturnType<typeof stateLayout>;

/** cluster.json: what `up` started, read by `down`, `status` and the test harness. */
export interface ClusterInfo {
  clusterId: string;
  server: string;
  etcdUrl: string;
  caFile: string;
  kubeconfig: string;
  unprivilegedKubeconfig: string;
  /** Network namespaces of this cluster's pods are named <netnsPrefix><suffix>. */
  netnsPrefix: string;
  serviceSubnet: string;
  /** Set with --controllers. */
  controllers?: { bridge: string; podSubnet: string; nodeName: string };
  readyAt?: string;
}
