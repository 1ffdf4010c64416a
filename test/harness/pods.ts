// Stands in for the Kubeless/Knative controllers and the kubelet: writes the Pods a controller would create,
// their status the way a kubelet reports it (pods/status), the Service and Endpoints that point at them, and
// runs the function for real with @serverless-k8s/runtime inside a network namespace, so a request through
// /api/v1/namespaces/NS/services/NAME:PORT/proxy/ reaches a real process.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminApi, waitFor, type KubeObjectJson } from './cluster.js';
import { createNetns, type NetworkNamespace } from './netns.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const runtimeCli = resolve(repoRoot, 'packages', 'runtime-node', 'dist', 'cli.js');

/** The labels the Kubeless controller puts on a function's Pods. */
export const kubelessLabels = (functionName: string): Record<string, string> => ({
  'created-by': 'kubeless',
  function: functionName,
});

/** The labels Knative Serving puts on a revision's Pods. */
export const knativeLabels = (service: string, revision: string): Record<string, string> => ({
  'serving.knative.dev/service': service,
  'serving.knative.dev/configuration': service,
  'serving.knative.dev/revision': revision,
  app: revision,
});

export interface FunctionPodOptions {
  namespace: string;
  /** Prefix of the Pod name (a suffix is added, as a ReplicaSet would) and default container name. */
  name: string;
  labels: Record<string, string>;
  /** Creates this Service (unless it exists) and its Endpoints; the Service selects `labels`. */
  serviceName?: string;
  /** Service port; defaults to `port`. Kubeless uses 8080 with the name http-function-port. */
  servicePort?: number;
  servicePortName?: string;
  /** Port the function process listens on inside its network namespace. */
  port: number;
  moduleFile: string;
  handler: string;
  env?: Record<string, string>;
  /** Knative names its container user-container; Kubeless uses the function name. */
  containerName?: string;
  image?: string;
  /** Runs this instead of the runtime CLI (argv; executed inside the network namespace). */
  command?: string[];
  /** Time for the process to accept connections; default 20 s. */
  startTimeoutMs?: number;
}

export interface FunctionPod {
  namespace: string;
  podName: string;
  podIp: string;
  port: number;
  /** http://<podIp>:<port>, reachable from the host. */
  url: string;
  netns: NetworkNamespace;
  process: ChildProcess;
  /** stdout and stderr of the function process so far. */
  output(): string;
  /** Stops the process, deletes the Pod, its Endpoints address (and the Service if the helper made it), the netns. */
  stop(): Promise<void>;
}

const running = new Set<FunctionPod>();

const podPath = (ns: string, name = ''): string =>
  `/api/v1/namespaces/${ns}/pods${name ? `/${name}` : ''}`;

function podManifest(
  opts: Pick<FunctionPodOptions, 'namespace' | 'labels' | 'containerName' | 'image' | 'env'> & {
    podName: string;
    containerName: string;
    port?: number;
  },
): KubeObjectJson {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: opts.podName, namespace: opts.namespace, labels: opts.labels },
    spec: {
      nodeName: 'sk8s-test-node',
      // No token controller runs, so ServiceAccount admission would reject a Pod that mounts a token.
      automountServiceAccountToken: false,
      containers: [
        {
          name: opts.containerName,
          image: opts.image ?? 'sk8s-test/function:local',
          ...(opts.port ? { ports: [{ containerPort: opts.port, protocol: 'TCP' }] } : {}),
          env: Object.entries(opts.env ?? {}).map(([name, value]) => ({ name, value })),
        },
      ],
    },
  };
}

function podConditions(
  ready: boolean,
  now: string,
): { type: string; status: string; lastTransitionTime: string }[] {
  const status = ready ? 'True' : 'False';
  return [
    { type: 'Initialized', status: 'True', lastTransitionTime: now },
    { type: 'Ready', status, lastTransitionTime: now },
    { type: 'ContainersReady', status, lastTransitionTime: now },
    { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
  ];
}

async function writePodStatus(
  namespace: string,
  podName: string,
  status: Record<string, unknown>,
): Promise<void> {
  await adminApi().expect('PATCH', `${podPath(namespace, podName)}/status`, {
    body: { status },
    contentType: 'application/merge-patch+json',
  });
}

function waitForPort(
  host: string,
  port: number,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
) {
  return waitFor(
    `${host}:${port} to accept connections`,
    () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `the function process exited (${child.exitCode ?? child.signalCode}):\n${output()}`,
        );
      }
      return new Promise<boolean>((res) => {
        const socket = connect({ host, port, timeout: 500 });
        socket.once('connect', () => {
          socket.destroy();
          res(true);
        });
        socket.once('error', () => res(false));
        socket.once('timeout', () => {
          socket.destroy();
          res(false);
        });
      });
    },
    { timeoutMs, intervalMs: 100 },
  ).catch((err: Error) => {
    // An exited process is reported with its output; a timeout too, since the output explains most of them.
    throw new Error(`${err.message}\nprocess output:\n${output()}`);
  });
}

interface ServicePortJson {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

// Marks a Service the helper made, so the last pod behind it deletes it and a Service made by the code
// under test is left alone.
const helperAnnotation = 'sk8s-test/created-by';

async function ensureService(
  opts: FunctionPodOptions,
  serviceName: string,
  attempt = 0,
): Promise<ServicePortJson[]> {
  const api = adminApi();
  const path = `/api/v1/namespaces/${opts.namespace}/services/${serviceName}`;
  const existing = await api.request('GET', path);
  if (existing.status === 200) return (existing.body?.spec?.ports ?? []) as ServicePortJson[];
  const ports: ServicePortJson[] = [
    {
      name: opts.servicePortName ?? 'http-function-port',
      port: opts.servicePort ?? opts.port,
      targetPort: opts.port,
      protocol: 'TCP',
    },
  ];
  const created = await api.request('POST', `/api/v1/namespaces/${opts.namespace}/services`, {
    body: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: serviceName,
        labels: opts.labels,
        annotations: { [helperAnnotation]: 'pod-helper' },
      },
      spec: { type: 'ClusterIP', selector: opts.labels, ports },
    },
  });
  // Another pod of the same service may have created it a moment ago.
  if (created.status === 409 && attempt < 3) return ensureService(opts, serviceName, attempt + 1);
  if (created.status !== 201) {
    throw new Error(
      `creating service ${opts.namespace}/${serviceName}: HTTP ${created.status} ${created.text}`,
    );
  }
  return ports;
}

async function deleteServiceIfUnused(namespace: string, serviceName: string): Promise<void> {
  const api = adminApi();
  const path = `/api/v1/namespaces/${namespace}/services/${serviceName}`;
  const endpoints = await api.request(
    'GET',
    `/api/v1/namespaces/${namespace}/endpoints/${serviceName}`,
  );
  if (endpoints.status !== 404) return;
  const service = await api.request('GET', path);
  if (service.body?.metadata?.annotations?.[helperAnnotation]) await api.request('DELETE', path);
}

interface EndpointSubsetJson {
  addresses?: {
    ip: string;
    targetRef?: { kind: string; name: string; namespace: string; uid?: string };
  }[];
  ports?: { name?: string; port: number; protocol?: string }[];
}

/** Adds (or removes) one pod address in the service's Endpoints, as the endpoints controller would. */
async function updateEndpoints(
  namespace: string,
  serviceName: string,
  change: {
    add?: { ip: string; podName: string; uid: string; ports: EndpointSubsetJson['ports'] };
    removeIp?: string;
  },
): Promise<void> {
  const api = adminApi();
  const path = `/api/v1/namespaces/${namespace}/endpoints/${serviceName}`;
  // Several pods of one service may start concurrently: retry on a write conflict.
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await api.request<{
      metadata?: KubeObjectJson['metadata'];
      subsets?: EndpointSubsetJson[];
    }>('GET', path);
    const exists = current.status === 200;
    const subset: EndpointSubsetJson = current.body?.subsets?.[0] ?? {};
    let addresses = (subset.addresses ?? []).filter(
      (a) => a.ip !== change.removeIp && a.ip !== change.add?.ip,
    );
    if (change.add) {
      addresses = [
        ...addresses,
        {
          ip: change.add.ip,
          targetRef: { kind: 'Pod', name: change.add.podName, namespace, uid: change.add.uid },
        },
      ];
    }
    if (addresses.length === 0) {
      if (exists) await api.request('DELETE', path);
      return;
    }
    const body = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: serviceName,
        namespace,
        resourceVersion: current.body?.metadata?.resourceVersion,
      },
      subsets: [{ addresses, ports: change.add?.ports ?? subset.ports }],
    };
    const resp = exists
      ? await api.request('PUT', path, { body })
      : await api.request('POST', `/api/v1/namespaces/${namespace}/endpoints`, {
          body: { ...body, metadata: { name: serviceName, namespace } },
        });
    if (resp.status === 200 || resp.status === 201) return;
    if (resp.status !== 409)
      throw new Error(
        `writing endpoints ${namespace}/${serviceName}: HTTP ${resp.status} ${resp.text}`,
      );
  }
  throw new Error(`writing endpoints ${namespace}/${serviceName}: kept conflicting`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Makes a function serve as its controller and a kubelet would: netns + process, Pod (Running, Ready, podIP),
 * optional Service, Endpoints whose targetRef names the Pod. Needs netnsSupport().ok.
 */
export async function startFunctionPod(opts: FunctionPodOptions): Promise<FunctionPod> {
  const api = adminApi();
  const podName = `${opts.name}-${randomBytes(3).toString('hex')}`;
  const containerName = opts.containerName ?? opts.name;
  const netns = await createNetns();
  let child: ChildProcess | undefined;
  let servicePorts: ServicePortJson[] | undefined;
  let output = '';
  const cleanup = async (): Promise<void> => {
    if (child) await stopProcess(child);
    await netns.destroy();
    await api.request('DELETE', podPath(opts.namespace, podName), {
      query: { gracePeriodSeconds: '0' },
    });
    if (opts.serviceName && servicePorts) {
      await updateEndpoints(opts.namespace, opts.serviceName, { removeIp: netns.podIp });
      await deleteServiceIfUnused(opts.namespace, opts.serviceName);
    }
  };

  try {
    if (!opts.command && !existsSync(runtimeCli)) {
      throw new Error(`${runtimeCli} is missing: build the runtime first (pnpm build)`);
    }
    const env: Record<string, string> = {
      FUNC_HANDLER: opts.handler,
      MOD_NAME: opts.moduleFile.replace(/^.*\//, '').replace(/\.[cm]?[jt]s$/, ''),
      FUNC_PORT: String(opts.port),
      FUNC_TIMEOUT: '180',
      FUNC_RUNTIME: 'nodejs20',
      ...opts.env,
    };
    const created = await api.expect('POST', podPath(opts.namespace), {
      body: podManifest({ ...opts, podName, containerName, env }),
    });

    const argv = opts.command ?? [
      process.execPath,
      runtimeCli,
      opts.moduleFile,
      '--handler',
      opts.handler,
      '--port',
      String(opts.port),
    ];
    const [command, ...args] = argv as [string, ...string[]];
    child = netns.spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await waitForPort(netns.podIp, opts.port, child, () => output, opts.startTimeoutMs ?? 20_000);

    const now = new Date().toISOString();
    await writePodStatus(opts.namespace, podName, {
      phase: 'Running',
      conditions: podConditions(true, now),
      hostIP: netns.hostIp,
      podIP: netns.podIp,
      podIPs: [{ ip: netns.podIp }],
      startTime: now,
      containerStatuses: [
        {
          name: containerName,
          image: opts.image ?? 'sk8s-test/function:local',
          imageID: '',
          containerID: `sk8s://${child.pid}`,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        },
      ],
    });

    if (opts.serviceName) {
      servicePorts = await ensureService(opts, opts.serviceName);
      const ports = servicePorts.map((p) => ({
        ...(p.name ? { name: p.name } : {}),
        port: typeof p.targetPort === 'number' ? p.targetPort : opts.port,
        protocol: p.protocol ?? 'TCP',
      }));
      await updateEndpoints(opts.namespace, opts.serviceName, {
        add: { ip: netns.podIp, podName, uid: created.metadata?.uid ?? '', ports },
      });
    }
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }

  const pod: FunctionPod = {
    namespace: opts.namespace,
    podName,
    podIp: netns.podIp,
    port: opts.port,
    url: `http://${netns.podIp}:${opts.port}`,
    netns,
    process: child,
    output: () => output,
    stop: async () => {
      if (!running.delete(pod)) return;
      await cleanup();
    },
  };
  running.add(pod);
  return pod;
}

/** Stops every function pod this test file started (useTestNamespace calls it in afterAll). */
export async function stopAllFunctionPods(): Promise<void> {
  await Promise.all([...running].map((pod) => pod.stop()));
}

export type PodFailureReason = 'CrashLoopBackOff' | 'ImagePullBackOff';

export interface FailPodOptions {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  reason: PodFailureReason;
  /** Termination message of the last run (CrashLoopBackOff) or the pull error (ImagePullBackOff). */
  message: string;
  /** Exit code of the last run; CrashLoopBackOff only. Default 1. */
  exitCode?: number;
  restartCount?: number;
  containerName?: string;
  image?: string;
}

export interface FailedPod {
  podName: string;
  delete(): Promise<void>;
}

/**
 * Writes a Pod that fails the way a kubelet reports it: CrashLoopBackOff (waiting, with the last run's
 * terminated state: exit code and termination message) or ImagePullBackOff (Pending, waiting), plus the
 * Warning events a kubelet would record.
 */
export async function failPod(opts: FailPodOptions): Promise<FailedPod> {
  const api = adminApi();
  const podName = `${opts.name}-${randomBytes(3).toString('hex')}`;
  const containerName = opts.containerName ?? opts.name;
  const image = opts.image ?? 'sk8s-test/function:local';
  const created = await api.expect('POST', podPath(opts.namespace), {
    body: podManifest({ ...opts, podName, containerName, image }),
  });
  const now = new Date().toISOString();
  const crashing = opts.reason === 'CrashLoopBackOff';
  const restartCount = opts.restartCount ?? (crashing ? 3 : 0);
  const containerStatus = crashing
    ? {
        name: containerName,
        image,
        imageID: '',
        ready: false,
        started: false,
        restartCount,
        state: {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off 40s restarting failed container=${containerName} pod=${podName}_${opts.namespace}`,
          },
        },
        lastState: {
          terminated: {
            exitCode: opts.exitCode ?? 1,
            reason: 'Error',
            message: opts.message,
            startedAt: now,
            finishedAt: now,
            containerID: `sk8s://${podName}`,
          },
        },
      }
    : {
        name: containerName,
        image,
        imageID: '',
        ready: false,
        started: false,
        restartCount,
        state: { waiting: { reason: 'ImagePullBackOff', message: opts.message } },
        lastState: {},
      };
  await writePodStatus(opts.namespace, podName, {
    phase: crashing ? 'Running' : 'Pending',
    conditions: podConditions(false, now),
    hostIP: '10.203.255.253',
    ...(crashing ? { podIP: '10.203.255.254', podIPs: [{ ip: '10.203.255.254' }] } : {}),
    startTime: now,
    containerStatuses: [containerStatus],
  });

  const events = crashing
    ? [{ reason: 'BackOff', message: 'Back-off restarting failed container', count: restartCount }]
    : [
        { reason: 'Failed', message: `Failed to pull image "${image}": ${opts.message}`, count: 1 },
        { reason: 'BackOff', message: `Back-off pulling image "${image}"`, count: 1 },
      ];
  for (const event of events) {
    await api.expect('POST', `/api/v1/namespaces/${opts.namespace}/events`, {
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${podName}.${randomBytes(4).toString('hex')}`,
          namespace: opts.namespace,
        },
        involvedObject: {
          apiVersion: 'v1',
          kind: 'Pod',
          name: podName,
          namespace: opts.namespace,
          uid: created.metadata?.uid,
          fieldPath: `spec.containers{${containerName}}`,
        },
        reason: event.reason,
        message: event.message,
        type: 'Warning',
        count: event.count,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: 'kubelet', host: 'sk8s-test-node' },
      },
    });
  }
  return {
    podName,
    delete: async () => {
      await api.request('DELETE', podPath(opts.namespace, podName), {
        query: { gracePeriodSeconds: '0' },
      });
    },
  };
}
