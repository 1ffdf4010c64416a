// Readiness of Kubeless functions. The Kubeless controller turns a Function into a Deployment named
// after it whose pods carry `function: <name>` and `created-by: kubeless`. A function is ready when
// that Deployment has its replicas ready, or — where nothing runs the controller (the local test
// cluster, where tests write the pods) — when all its pods are Ready. Pods of an older ReplicaSet
// are ignored so a crash of the previous version does not fail a fixed deploy.
// A Function has no status, so after an update the old Deployment still looks ready until the
// controller patches it: for a Function whose update the controller rolls out, readiness waits for
// the Deployment's generation to move past the one read before apply and for that rollout to finish.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApplyResult, ClusterClient, KubeObject } from '../../cluster/types.js';
import {
  formatPodStates,
  isPodReady,
  podState,
  explainPod,
  type PodDiagnosis,
  type PodView,
} from '../../cluster/pods.js';
import type { FunctionModel } from '../../model/types.js';
import { stableJson } from '../../util/stable-json.js';
import type { FunctionStatus, ProgressSink } from '../types.js';
import { KUBELESS_API_VERSION as FUNCTION_API } from './manifests.js';

/** Everything Kubeless creates for functions carries this label. */
export const KUBELESS_SELECTOR = 'created-by=kubeless';
/**
 * The pods of functions: the cronjob-trigger gives its Jobs' pods the function's labels too
 * (cronjob-trigger kubelessutil.go:76-101), and the Job controller marks them with job-name.
 */
const FUNCTION_PODS = `${KUBELESS_SELECTOR},!job-name`;
const REVISION = 'deployment.kubernetes.io/revision';
const POLL_MS = 500;
/**
 * A function counts as ready once it has stayed ready this long. A pod without a readiness probe
 * (Kubeless's have only a liveness probe) is Ready as soon as its container starts, a moment
 * before a crash at start-up (a preloaded module that throws, a port it may not bind) shows.
 */
const SETTLE_MS = 2_000;
/**
 * The function controller makes a Function's Deployment within a second; with nothing after this
 * long, waiting the whole timeout would only delay the same answer.
 */
const CONTROLLER_SILENCE_MS = 30_000;

/** Label selector of one function's pods. */
export function functionPodSelector(fn: Pick<FunctionModel, 'name'>): string {
  return `${FUNCTION_PODS},function=${fn.name}`;
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
    client.list('v1', 'Pod', namespace, FUNCTION_PODS),
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
  /** True while the controller has not yet patched the Deployment for this deploy's update. */
  awaitingController: boolean;
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
  status?: {
    observedGeneration?: number;
    readyReplicas?: number;
    replicas?: number;
    updatedReplicas?: number;
  };
}

/** What the controller copies from a Function into its Deployment. */
interface FunctionSpecView {
  handler?: string;
  timeout?: string;
  function?: string;
  checksum?: string;
  'function-content-type'?: string;
  deps?: string;
  deployment?: {
    spec?: { template?: { spec?: { containers?: { image?: string }[] } } };
  };
}

/**
 * True when the controller turns this Function change into a new Deployment spec (the Kubeless
 * controller's EnsureFuncDeployment): handler and timeout become env, the deployment template is
 * copied, and — unless the function brings its own image — the code's checksum is in the init
 * container that unpacks it. Other changes (labels, HPA, service ports) leave the Deployment spec
 * alone, so waiting for a rollout there would only time out.
 */
export function expectsRollout(before: KubeObject, after: KubeObject): boolean {
  const old = (before.spec ?? {}) as FunctionSpecView;
  const updated = (after.spec ?? {}) as FunctionSpecView;
  const differs = (pick: (spec: FunctionSpecView) => unknown) =>
    stableJson(goZero(pick(old))) !== stableJson(goZero(pick(updated)));
  if (differs((spec) => spec.handler) || differs((spec) => spec.timeout)) return true;
  if (differs((spec) => spec.deployment?.spec)) return true;
  if (updated.deployment?.spec?.template?.spec?.containers?.[0]?.image) return false;
  return (['function', 'checksum', 'function-content-type', 'deps'] as const).some((key) =>
    differs((spec) => spec[key]),
  );
}

/**
 * A value as the controller's Go types see it after decoding: null, empty objects and lists,
 * "", false and 0 are all the zero value, which apiequality.Semantic.DeepEqual (its
 * functionObjChanged, function_controller.go:463-467) treats as equal to absent.
 */
function goZero(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(goZero);
    return items.length === 0 ? undefined : items;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .map(([key, item]) => [key, goZero(item)] as const)
      .filter(([, item]) => item !== undefined);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value === null || value === '' || value === false || value === 0 ? undefined : value;
}

const objectId = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

/** The functions' Functions and Deployments as they are before apply (two lists per namespace). */
export async function readKubelessBaseline(
  client: ClusterClient,
  functions: FunctionModel[],
): Promise<KubeObject[]> {
  const wanted = new Set(functions.map((fn) => objectId(fn.namespace, fn.name)));
  const namespaces = [...new Set(functions.map((fn) => fn.namespace))];
  const lists = await Promise.all(
    namespaces.flatMap((namespace) => [
      client.list(FUNCTION_API, 'Function', namespace, KUBELESS_SELECTOR),
      client.list('apps/v1', 'Deployment', namespace, KUBELESS_SELECTOR),
    ]),
  );
  return lists
    .flat()
    .filter((object) => wanted.has(objectId(object.metadata.namespace, object.metadata.name)));
}

/**
 * Functions whose apply changed them in a way the controller rolls out, with the generation their
 * Deployment had before apply. A created Function, or one without a Deployment yet, has no old
 * Deployment to be mistaken for ready.
 */
export function pendingRollouts(
  baseline: KubeObject[],
  applied: ApplyResult[],
): Map<string, number> {
  const find = (kind: string, object: KubeObject) =>
    baseline.find(
      (candidate) =>
        candidate.kind === kind &&
        candidate.metadata.name === object.metadata.name &&
        candidate.metadata.namespace === object.metadata.namespace,
    );
  const pending = new Map<string, number>();
  for (const { object, changed, created } of applied) {
    if (object.kind !== 'Function' || !changed || created) continue;
    const deployment = find('Deployment', object);
    const before = find('Function', object);
    if (!deployment || (before && !expectsRollout(before, object))) continue;
    pending.set(
      objectId(object.metadata.namespace, object.metadata.name),
      (deployment.metadata.generation as number | undefined) ?? 0,
    );
  }
  return pending;
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

/** The update's rollout is done: new spec observed, every replica updated and ready, no old pod serving. */
function rolledOut(deployment: DeploymentView, desired: number, oldPodsReady: number): boolean {
  const status = deployment.status ?? {};
  return (
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0) &&
    (status.updatedReplicas ?? 0) === desired &&
    (status.replicas ?? 0) === desired &&
    (status.readyReplicas ?? 0) >= desired &&
    oldPodsReady === 0
  );
}

/**
 * Pure: the function's readiness from what one poll read. `rolloutFrom`: the generation its
 * Deployment had before an update the controller must roll out (see pendingRollouts).
 */
export function functionSnapshot(
  fn: FunctionModel,
  state: NamespaceState,
  rolloutFrom?: number,
): FunctionSnapshot {
  const deployment = (state.deployments as unknown as DeploymentView[]).find(
    (d) => d.metadata.name === fn.name,
  );
  const ownPods = (state.pods as unknown as PodView[]).filter(
    (pod) => pod.metadata.labels?.function === fn.name && !pod.metadata.deletionTimestamp,
  );
  const current = currentPods(deployment, state, ownPods);
  const pods = current.map((pod) => podState(pod, fn.name));
  const podsReady = pods.filter((pod) => pod.ready).length;
  const desired = deployment
    ? (deployment.spec?.replicas ?? 1)
    : (fn.replicas ?? fn.autoscaling?.minReplicas ?? 1);
  // Until the controller patches the Deployment, everything in it describes the old version.
  const awaitingController =
    rolloutFrom !== undefined && (deployment?.metadata.generation ?? 0) <= rolloutFrom;
  const observed =
    !deployment?.status?.observedGeneration ||
    deployment.metadata.generation === undefined ||
    deployment.status.observedGeneration >= deployment.metadata.generation;
  let ready: boolean;
  if (awaitingController) ready = false;
  else if (rolloutFrom !== undefined && deployment) {
    const oldPodsReady = ownPods.filter((pod) => !current.includes(pod) && isPodReady(pod)).length;
    ready = rolledOut(deployment, desired, oldPodsReady);
  } else {
    const deploymentReady =
      !!deployment && observed && (deployment.status?.readyReplicas ?? 0) >= desired;
    const allPodsReady = pods.length > 0 && podsReady === pods.length && podsReady >= desired;
    ready = deploymentReady || allPodsReady;
  }
  const readyReplicas = awaitingController
    ? 0
    : Math.max(deployment?.status?.readyReplicas ?? 0, podsReady);
  // A crash of the version being replaced is not this deploy's failure.
  const fatal = ready || awaitingController ? undefined : pods.find((pod) => pod.fatal);
  const empty = !deployment && pods.length === 0;
  const waitingStates = [...new Set(pods.filter((pod) => !pod.ready).map((pod) => pod.state))];
  const summary = awaitingController
    ? `waiting for the Kubeless controller to roll out the update (Deployment generation still ${deployment?.metadata.generation ?? 'absent'})`
    : empty
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
  return { status, pods, ...(fatal ? { fatal } : {}), empty, awaitingController, summary };
}

/** The problem of a function still not ready at the deadline: what was last seen. */
export function timeoutProblem(
  fn: FunctionModel,
  snapshot: FunctionSnapshot,
  timeoutMs: number,
): string {
  const after = `not ready after ${Math.round(timeoutMs / 1000)}s`;
  if (snapshot.awaitingController) {
    return `${after}: ${snapshot.summary} for function "${fn.name}" in namespace "${fn.namespace}" (is the Kubeless controller running?)`;
  }
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
  options: {
    timeoutMs: number;
    progress: ProgressSink;
    pollMs?: number;
    baseline?: KubeObject[];
    applied?: ApplyResult[];
  },
): Promise<FunctionStatus[]> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const rollouts = pendingRollouts(options.baseline ?? [], options.applied ?? []);
  const results = new Map<FunctionModel, FunctionStatus>();
  const lastSummary = new Map<FunctionModel, string>();
  const firstReady = new Map<FunctionModel, number>();
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
      const snapshot = functionSnapshot(
        fn,
        states.get(fn.namespace) as NamespaceState,
        rollouts.get(objectId(fn.namespace, fn.name)),
      );
      const readySince = snapshot.status.ready ? (firstReady.get(fn) ?? Date.now()) : undefined;
      if (readySince === undefined) firstReady.delete(fn);
      else firstReady.set(fn, readySince);
      if (readySince !== undefined && (Date.now() - readySince >= SETTLE_MS || timedOut)) {
        results.set(fn, snapshot.status);
        options.progress.update(`${fn.name}: ready (${snapshot.summary})`);
      } else if (readySince !== undefined) {
        stillPending.push(fn);
      } else if (snapshot.fatal) {
        results.set(fn, await explainFailure(client, snapshot, snapshot.fatal));
      } else if (snapshot.empty && Date.now() - started >= CONTROLLER_SILENCE_MS) {
        results.set(fn, {
          ...snapshot.status,
          problem:
            `no Deployment for function "${fn.name}" appeared in namespace "${fn.namespace}" within ${CONTROLLER_SILENCE_MS / 1000}s: ` +
            'is the Kubeless controller running? Check with `kubectl -n kubeless get pods` (the kubeless-controller-manager pod) and its logs.',
        });
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
