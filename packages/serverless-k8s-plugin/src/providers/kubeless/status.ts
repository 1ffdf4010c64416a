// Readiness of Kubeless functions. The Kubeless controller turns a Function into a Deployment named
// after it whose pods carry `function: <name>` and `created-by: kubeless`. A function is ready when
// that Deployment has its replicas ready, or — where nothing runs the controller (the local test
// cluster, where tests write the pods) — when all its pods are Ready. Pods of an older ReplicaSet
// are ignored so a crash of the previous version does not fail a fixed deploy.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterClient, KubeObject } from '../../cluster/types.js';
import {
  formatPodStates,
  podState,
  explainPod,
  type PodDiagnosis,
  type PodView,
} from '../../cluster/pods.js';
import type { FunctionModel } from '../../model/types.js';
import type { FunctionStatus, ProgressSink } from '../types.js';

/** Everything Kubeless creates for functions carries this label. */
export const KUBELESS_SELECTOR = 'created-by=kubeless';
const REVISION = 'deployment.kubernetes.io/revision';
const POLL_MS = 500;

/** Label selector of one function's pods. */
export function functionPodSelector(fn: Pick<FunctionModel, 'name'>): string {
  return `${KUBELESS_SELECTOR},function=${fn.name}`;
}

/** What one poll reads in a namespace: three list calls, whatever the number of functions. */
export interface NamespaceState {
  deployments: KubeObject[];
  replicaSets: KubeObject[];
  pods: KubeObject[];
}

export async function readNamespace(
  client: ClusterClient,
  namespace: string,
): Promise<NamespaceState> {
  const [deployments, replicaSets, pods] = await Promise.all([
    client.list('apps/v1', 'Deployment', namespace, KUBELESS_SELECTOR),
    client.list('apps/v1', 'ReplicaSet', namespace, KUBELESS_SELECTOR),
    client.list('v1', 'Pod', namespace, KUBELESS_SELECTOR),
  ]);
  return { deployments, replicaSets, pods };
}

export interface FunctionSnapshot {
  status: FunctionStatus;
  /** The function's current pods (older ReplicaSets excluded). */
  pods: PodDiagnosis[];
  /** A pod whose problem waiting will not fix. */
  fatal?: PodDiagnosis;
  /** True when neither a Deployment nor a pod exists yet. */
  empty: boolean;
  /** One line for progress: `1/2 ready (ContainerCreating)`. */
  summary: string;
}

interface DeploymentView {
  metadata: {
    name: string;
    uid?: string;
    generation?: number;
    annotations?: Record<string, string>;
  };
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; readyReplicas?: number };
}

interface ReplicaSetView {
  metadata: {
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    ownerReferences?: { uid?: string }[];
  };
}

/** Pods of the Deployment's current ReplicaSet; all of the function's pods when that is unknown. */
function currentPods(
  deployment: DeploymentView | undefined,
  state: NamespaceState,
  pods: PodView[],
): PodView[] {
  const revision = deployment?.metadata.annotations?.[REVISION];
  if (!deployment || !revision) return pods;
  const replicaSet = (state.replicaSets as unknown as ReplicaSetView[]).find(
    (rs) =>
      rs.metadata.annotations?.[REVISION] === revision &&
      rs.metadata.ownerReferences?.some((o) => o.uid === deployment.metadata.uid),
  );
  const hash = replicaSet?.metadata.labels?.['pod-template-hash'];
  return hash ? pods.filter((pod) => pod.metadata.labels?.['pod-template-hash'] === hash) : pods;
}

/** Pure: the function's readiness from what one poll read. */
export function functionSnapshot(fn: FunctionModel, state: NamespaceState): FunctionSnapshot {
  const deployment = (state.deployments as unknown as DeploymentView[]).find(
    (d) => d.metadata.name === fn.name,
  );
  const ownPods = (state.pods as unknown as PodView[]).filter(
    (pod) => pod.metadata.labels?.function === fn.name,
  );
  const pods = currentPods(deployment, state, ownPods)
    .filter((pod) => !pod.metadata.deletionTimestamp)
    .map((pod) => podState(pod, fn.name));
  const podsReady = pods.filter((pod) => pod.ready).length;
  const desired = deployment
    ? (deployment.spec?.replicas ?? 1)
    : (fn.replicas ?? fn.autoscaling?.minReplicas ?? 1);
  const observed =
    !deployment?.status?.observedGeneration ||
    deployment.metadata.generation === undefined ||
    deployment.status.observedGeneration >= deployment.metadata.generation;
  const deploymentReady =
    !!deployment && observed && (deployment.status?.readyReplicas ?? 0) >= desired;
  const allPodsReady = pods.length > 0 && podsReady === pods.length && podsReady >= desired;
  const readyReplicas = Math.max(deployment?.status?.readyReplicas ?? 0, podsReady);
  const ready = deploymentReady || allPodsReady;
  const fatal = ready ? undefined : pods.find((pod) => pod.fatal);
  const empty = !deployment && pods.length === 0;
  const waitingStates = [...new Set(pods.filter((pod) => !pod.ready).map((pod) => pod.state))];
  const summary = empty
    ? 'waiting for the Kubeless controller to create the Deployment'
    : `${readyReplicas}/${desired} ready${waitingStates.length > 0 ? ` (${waitingStates.join(', ')})` : ''}`;
  const status: FunctionStatus = {
    name: fn.name,
    namespace: fn.namespace,
    ready,
    readyReplicas,
    desiredReplicas: desired,
    ...(fatal?.problem ? { problem: `pod ${fatal.pod}: ${fatal.problem}` } : {}),
  };
  return { status, pods, ...(fatal ? { fatal } : {}), empty, summary };
}

/** The problem of a function still not ready at the deadline: what was last seen. */
export function timeoutProblem(
  fn: FunctionModel,
  snapshot: FunctionSnapshot,
  timeoutMs: number,
): string {
  const after = `not ready after ${Math.round(timeoutMs / 1000)}s`;
  if (snapshot.empty) {
    return `${after}: no Deployment or pods for function "${fn.name}" appeared in namespace "${fn.namespace}" (is the Kubeless controller running?)`;
  }
  const notReady = snapshot.pods.filter((pod) => !pod.ready);
  return `${after} (${snapshot.summary}); last seen:\n${formatPodStates(notReady.length > 0 ? notReady : snapshot.pods)}`;
}

/** Adds crash logs to the problem of the pod that failed the function. */
async function explainFailure(
  client: ClusterClient,
  snapshot: FunctionSnapshot,
  pod: PodDiagnosis,
): Promise<FunctionStatus> {
  const detailed = await explainPod(client, snapshot.status.namespace, pod);
  return {
    ...snapshot.status,
    problem: `pod ${detailed.pod}: ${detailed.problem ?? detailed.state}`,
  };
}

/** Polls until every function is ready, fails for a reason waiting cannot fix, or the time is up. */
export async function waitKubelessReady(
  client: ClusterClient,
  functions: FunctionModel[],
  options: { timeoutMs: number; progress: ProgressSink; pollMs?: number },
): Promise<FunctionStatus[]> {
  const deadline = Date.now() + options.timeoutMs;
  const results = new Map<FunctionModel, FunctionStatus>();
  const lastSummary = new Map<FunctionModel, string>();
  let pending = functions;
  for (;;) {
    const namespaces = [...new Set(pending.map((fn) => fn.namespace))];
    const states = new Map(
      await Promise.all(
        namespaces.map(async (ns) => [ns, await readNamespace(client, ns)] as const),
      ),
    );
    const timedOut = Date.now() >= deadline;
    const stillPending: FunctionModel[] = [];
    for (const fn of pending) {
      const snapshot = functionSnapshot(fn, states.get(fn.namespace) as NamespaceState);
      if (snapshot.status.ready) {
        results.set(fn, snapshot.status);
        options.progress.update(`${fn.name}: ready (${snapshot.summary})`);
      } else if (snapshot.fatal) {
        results.set(fn, await explainFailure(client, snapshot, snapshot.fatal));
      } else if (timedOut) {
        const pods = await Promise.all(
          snapshot.pods.map((pod) => explainPod(client, fn.namespace, pod)),
        );
        results.set(fn, {
          ...snapshot.status,
          problem: timeoutProblem(fn, { ...snapshot, pods }, options.timeoutMs),
        });
      } else {
        stillPending.push(fn);
        if (lastSummary.get(fn) !== snapshot.summary) {
          lastSummary.set(fn, snapshot.summary);
          options.progress.update(`${fn.name}: ${snapshot.summary}`);
        }
      }
    }
    pending = stillPending;
    if (pending.length === 0) break;
    await sleep(Math.max(0, Math.min(options.pollMs ?? POLL_MS, deadline - Date.now())));
  }
  return functions.map((fn) => results.get(fn) as FunctionStatus);
}

/** One look at a function's readiness (for `info`). */
export async function kubelessStatus(
  client: ClusterClient,
  fn: FunctionModel,
): Promise<FunctionStatus> {
  const snapshot = functionSnapshot(fn, await readNamespace(client, fn.namespace));
  if (snapshot.status.ready || snapshot.status.problem) return snapshot.status;
  return { ...snapshot.status, problem: snapshot.summary };
}
