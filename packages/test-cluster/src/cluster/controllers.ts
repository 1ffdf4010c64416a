// `up --controllers`: the programs that make the API server a cluster. Upstream where they run
// here: kube-controller-manager and kube-scheduler v1.20.2, Kubeless 1.0.8's function controller,
// http-trigger 1.0.2 and cronjob-trigger 1.0.3. Ours where nothing upstream runs: the node agent
// (a kubelet that runs pods as processes) and the Knative Serving stand-in (docs/testing.md).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { KubeApi } from '../kube-api.js';
import type { NodeAgentConfig } from '../node-agent/config.js';
import { assertAlive, freePort, waitFor } from './apiserver.js';
import { binaries, packageRoot, type ClusterInfo, type StateLayout } from './layout.js';
import { startDetached, type ManagedProcess } from './processes.js';

export const NODE_NAME = 'sk8s-node';

/** The in-cluster credentials (rest.InClusterConfig) the Kubeless controllers read, in a private mount namespace. */
const IN_CLUSTER_PROLOGUE = [
  'set -e',
  '/usr/bin/mount -t tmpfs -o mode=0755 sk8s-secrets /run',
  'd=/run/secrets/kubernetes.io/serviceaccount',
  '/usr/bin/mkdir -p "$d"',
  '/usr/bin/cp "$SK8S_TOKEN_FILE" "$d/token"',
  '/usr/bin/cp "$SK8S_CA_FILE" "$d/ca.crt"',
  'echo kubeless > "$d/namespace"',
  'unset SK8S_TOKEN_FILE SK8S_CA_FILE',
  'exec "$0" "$@"',
].join('\n');

function startInCluster(
  proc: ManagedProcess,
  binary: string,
  info: ClusterInfo,
  tokenFile: string,
): void {
  const port = new URL(info.server).port;
  startDetached(
    proc,
    '/usr/bin/unshare',
    ['--mount', '--propagation', 'private', '/bin/sh', '-c', IN_CLUSTER_PROLOGUE, binary],
    {
      PATH: process.env.PATH,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: port,
      SK8S_TOKEN_FILE: tokenFile,
      SK8S_CA_FILE: info.caFile,
    },
  );
}

export async function startControllers(
  layout: StateLayout,
  info: ClusterInfo,
  admin: KubeApi,
  options: {
    controllerToken: string;
    bridge: string;
    podSubnet: string;
    log: (message: string) => void;
  },
): Promise<void> {
  const { log } = options;
  const procs = layout.processes;
  mkdirSync(layout.controllersDir, { recursive: true, mode: 0o700 });
  mkdirSync(layout.nodeDir, { recursive: true, mode: 0o700 });

  // The CSR signer needs a CA of one certificate (the API server's file holds two).
  const signingKey = join(layout.controllersDir, 'signing-ca.key');
  const signingCert = join(layout.controllersDir, 'signing-ca.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      signingKey,
      '-out',
      signingCert,
      '-days',
      '30',
      '-subj',
      '/CN=sk8s-test-signer',
    ],
    { stdio: 'ignore' },
  );
  startDetached(procs.controllerManager, binaries.controllerManager, [
    `--kubeconfig=${layout.adminKubeconfig}`,
    '--bind-address=127.0.0.1',
    '--secure-port=0',
    '--port=0',
    '--leader-elect=false',
    '--controllers=*',
    `--service-account-private-key-file=${layout.saKey}`,
    `--root-ca-file=${info.caFile}`,
    `--cluster-signing-cert-file=${signingCert}`,
    `--cluster-signing-key-file=${signingKey}`,
    // Pods on the agent's node are gone as soon as it stops heartbeating, not 5 minutes later.
    '--pod-eviction-timeout=30s',
  ]);
  startDetached(procs.scheduler, binaries.scheduler, [
    `--kubeconfig=${layout.adminKubeconfig}`,
    '--bind-address=127.0.0.1',
    '--secure-port=0',
    '--port=0',
    '--leader-elect=false',
  ]);

  // The node agent: a TLS certificate for its kubelet API (the API server fetches pod logs there).
  const nodeIp = options.podSubnet.replace(/\.0\/24$/, '.1');
  const tlsCertFile = join(layout.nodeDir, 'kubelet.crt');
  const tlsKeyFile = join(layout.nodeDir, 'kubelet.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      tlsKeyFile,
      '-out',
      tlsCertFile,
      '-days',
      '30',
      '-subj',
      `/CN=${NODE_NAME}`,
      '-addext',
      `subjectAltName=IP:${nodeIp}`,
    ],
    { stdio: 'ignore' },
  );
  const agentConfig: NodeAgentConfig = {
    clusterId: info.clusterId,
    nodeName: NODE_NAME,
    kubeconfig: layout.adminKubeconfig,
    stateDir: layout.nodeDir,
    bridge: options.bridge,
    podSubnet: options.podSubnet,
    serviceSubnet: info.serviceSubnet,
    kubeletPort: await freePort(),
    tlsCertFile,
    tlsKeyFile,
    kubelessRuntimeDir: binaries.kubelessRuntime,
  };
  const agentConfigFile = join(layout.nodeDir, 'config.json');
  writeFileSync(agentConfigFile, JSON.stringify(agentConfig, null, 2), { mode: 0o600 });
  startDetached(procs.nodeAgent, process.execPath, [
    join(packageRoot, 'dist', 'node-agent.js'),
    agentConfigFile,
  ]);
  startDetached(procs.knativeServing, process.execPath, [
    join(packageRoot, 'dist', 'knative-serving.js'),
    layout.adminKubeconfig,
  ]);

  const tokenFile = join(layout.controllersDir, 'token');
  writeFileSync(tokenFile, options.controllerToken, { mode: 0o600 });
  startInCluster(procs.functionController, binaries.functionController, info, tokenFile);
  startInCluster(procs.httpTriggerController, binaries.httpTriggerController, info, tokenFile);
  startInCluster(
    procs.cronjobTriggerController,
    binaries.cronjobTriggerController,
    info,
    tokenFile,
  );

  const all = Object.values(procs);
  await waitFor(`node ${NODE_NAME} Ready`, 60_000, async () => {
    assertAlive(...all);
    const node = await admin.request<Node>('GET', `/api/v1/nodes/${NODE_NAME}`);
    return (node.body?.status?.conditions ?? []).some(
      (c) => c.type === 'Ready' && c.status === 'True',
    );
  });
  // The ServiceAccount and token controllers give every namespace its `default` account.
  await waitFor('the default ServiceAccount and its token', 60_000, async () => {
    assertAlive(...all);
    const sa = await admin.request<{ secrets?: unknown[] }>(
      'GET',
      '/api/v1/namespaces/default/serviceaccounts/default',
    );
    return (sa.body?.secrets ?? []).length > 0;
  });
  // The Kubeless controllers log once their caches are synced; a crash on start shows here.
  const synced = (proc: ManagedProcess, pattern: RegExp) =>
    pattern.test(readFileSync(proc.logFile, 'utf8'));
  await waitFor('the Kubeless controllers to start', 60_000, () => {
    assertAlive(...all);
    return (
      // function_controller.go:146, http_trigger_controller.go:141, cronjob_trigger_controller.go:147
      synced(procs.functionController, /Function controller synced and ready/) &&
      synced(procs.httpTriggerController, /HTTP Trigger controller synced and ready/) &&
      synced(procs.cronjobTriggerController, /Cron Job Trigger controller synced and ready/)
    );
  });
  log(
    `controllers running: kube-controller-manager, kube-scheduler, node agent (${NODE_NAME}, pods ${options.podSubnet}), Kubeless function/http-trigger/cronjob-trigger controllers, Knative Serving stand-in`,
  );
}
