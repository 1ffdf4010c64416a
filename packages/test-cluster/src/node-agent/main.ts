// The node agent: the test cluster's kubelet, a process of ours (no container runtime runs here).
// It registers one Node, runs every pod the scheduler binds to it as processes (pod-worker.ts),
// serves their logs on the kubelet API, stands in for kube-proxy and cluster DNS
// (service-proxy.ts), and on SIGTERM stops every pod and removes its network.
//   node dist/node-agent.js CONFIG.json
import { readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Informer, objectKey } from '../informer.js';
import { KubeApi } from '../kube-api.js';
import type { NodeAgentConfig } from './config.js';
import { EventRecorder } from './events.js';
import { startKubeletServer, type LogLocator } from './logs.js';
import { NodeNetwork } from './network.js';
import { NodeHeartbeat } from './node.js';
import { PodWorker } from './pod-worker.js';
import { ServiceProxy } from './service-proxy.js';

const log = (message: string): void => {
  process.stderr.write(`${new Date().toISOString()} node-agent: ${message}\n`);
};

// A kubelet outlives what goes wrong with one pod: a stray rejection is logged, not fatal.
const unexpected = (what: unknown): void =>
  log(`unexpected: ${what instanceof Error ? (what.stack ?? what.message) : String(what)}`);
process.on('unhandledRejection', unexpected);
process.on('uncaughtException', unexpected);

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (!configPath) throw new Error('usage: node-agent CONFIG.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as NodeAgentConfig;
  const api = KubeApi.fromKubeconfig(config.kubeconfig);
  const network = new NodeNetwork(config.clusterId, config.bridge, config.podSubnet);
  const workers = new Map<string, PodWorker>();
  const events = new EventRecorder(api, config.nodeName, log);

  await network.setUp();
  const proxy = new ServiceProxy(api, network, log, () => {
    for (const worker of workers.values()) {
      worker.writeHosts().catch((err: Error) => log(`hosts of pod ${worker.key}: ${err.message}`));
    }
  });
  await proxy.start();

  const locate: LogLocator = (namespace, pod, container, previous) => {
    const worker = workers.get(`${namespace}/${pod}`);
    if (!worker)
      return { status: 404, problem: `pod ${namespace}/${pod} is not running on this node` };
    const source = worker.logSource(container, previous);
    if (source) return source;
    const names = worker.containerNames();
    return names.includes(container)
      ? {
          status: 400,
          problem: `${previous ? 'previous terminated' : ''} container "${container}" in pod "${pod}" ${previous ? 'not found' : 'is waiting to start'}`,
        }
      : { status: 400, problem: `container ${container} is not valid for pod ${pod}` };
  };
  const kubelet: Server = await startKubeletServer(
    {
      host: network.nodeIp,
      port: config.kubeletPort,
      cert: readFileSync(config.tlsCertFile, 'utf8'),
      key: readFileSync(config.tlsKeyFile, 'utf8'),
    },
    locate,
  );

  const deps = {
    api,
    network,
    proxy,
    events,
    stateDir: config.stateDir,
    kubelessRuntimeDir: config.kubelessRuntimeDir,
    log,
  };
  const pods = new Informer<Pod>({
    api,
    path: '/api/v1/pods',
    query: { fieldSelector: `spec.nodeName=${config.nodeName}` },
    log,
    onChange: (pod, deleted) => {
      const key = objectKey(pod);
      const existing = workers.get(key);
      if (existing && existing.uid !== pod.metadata?.uid) {
        // A new pod of the same name: the old one's object is gone.
        workers.delete(key);
        void existing.shutDown();
      }
      const worker = workers.get(key);
      if (deleted) {
        if (worker) {
          workers.delete(key);
          void worker.shutDown();
        }
        return;
      }
      const phase = pod.status?.phase;
      if (worker) {
        worker.update(pod);
      } else if (!pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') {
        const created = new PodWorker(pod, deps);
        workers.set(key, created);
        created.start().catch((err: Error) => log(`pod ${key}: ${err.stack ?? err.message}`));
      } else if (pod.metadata?.deletionTimestamp) {
        // Deleted before it ever ran here (e.g. a finished Job's pod): just let it go.
        const finished = new PodWorker(pod, deps);
        void finished.terminate();
      }
    },
  });

  const heartbeat = new NodeHeartbeat(
    api,
    config.nodeName,
    network.nodeIp,
    config.kubeletPort,
    log,
  );
  await heartbeat.register();
  await pods.start();
  log(
    `node ${config.nodeName} ready at ${network.nodeIp} (pods ${config.podSubnet}, kubelet :${config.kubeletPort})`,
  );

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log('stopping: every pod on this node is killed');
    heartbeat.stop();
    pods.stop();
    proxy.stop();
    kubelet.close();
    await Promise.all([...workers.values()].map((w) => w.shutDown()));
    await network.tearDown();
    api.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err: Error) => {
  log(`failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
