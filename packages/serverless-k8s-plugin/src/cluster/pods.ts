// Why a function's pods are not Ready, in words a user can act on: crash loops (exit code,
// termination message, last log lines), image pulls, bad container config, OOM kills, scheduling.
// podState() is pure (unit-tested); diagnosePods() adds the crashed container's last log lines,
// which need a kubelet — when none answers, the termination message has to do.
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { ClusterClient } from './types.js';

interface ContainerStateWaiting {
  reason?: string;
  message?: string;
}

interface ContainerStateTerminated {
  exitCode?: number;
  signal?: number;
  reason?: string;
  message?: string;
}

interface ContainerState {
  waiting?: ContainerStateWaiting;
  running?: { startedAt?: string };
  terminated?: ContainerStateTerminated;
}

interface ContainerStatus {
  name: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The parts of a Pod this module reads. */
export interface PodView {
  metadata: {
    name: string;
    namespace?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
  };
  spec?: {
    containers?: {
      name: string;
      image?: string;
      resources?: { limits?: Record<string, string> };
    }[];
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: PodCondition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface PodDiagnosis {
  pod: string;
  ready: boolean;
  /** Short state for progress lines: Running, Pending, ContainerCreating, CrashLoopBackOff… */
  state: string;
  /** Why the pod is not Ready, when there is something to say. */
  problem?: string;
  /** Waiting will not fix it (crash loop, image pull back-off, bad container config, failed pod). */
  fatal: boolean;
  /** Container whose previous instance crashed: its logs explain the crash. */
  crashedContainer?: string;
}

const PULL_REASONS = new Set(['ImagePullBackOff', 'ErrImagePull']);
const IMAGE_REASONS = new Set([...PULL_REASONS, 'InvalidImageName', 'ErrImageNeverPull']);
const CONFIG_REASONS = new Set([
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);
/** Reasons that do not clear up by waiting. ErrImagePull turns into ImagePullBackOff within seconds. */
const FATAL_REASONS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  ...CONFIG_REASONS,
]);
/** Lines of the crashed container's log quoted in a problem. */
export const CRASH_LOG_LINES = 20;

export function isPodReady(pod: PodView): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function exitText(terminated: ContainerStateTerminated): string {
  const code =
    terminated.exitCode ?? (terminated.signal !== undefined ? 128 + terminated.signal : undefined);
  const reason = terminated.reason ? ` (${terminated.reason})` : '';
  const message = terminated.message?.trim()
    ? `; termination message: ${terminated.message.trim()}`
    : '';
  return `exit code ${code ?? 'unknown'}${reason}${message}`;
}

function memoryLimit(pod: PodView, container: string): string {
  const limit = pod.spec?.containers?.find((c) => c.name === container)?.resources?.limits?.memory;
  return limit ? ` of ${limit}` : '';
}

/** One container's problem, if it has one. */
function containerProblem(
  pod: PodView,
  status: ContainerStatus,
): Omit<PodDiagnosis, 'pod' | 'ready'> | undefined {
  const waiting = status.state?.waiting;
  const terminated = status.state?.terminated;
  const last = status.lastState?.terminated;
  const name = `container "${status.name}"`;
  if (waiting?.reason === 'CrashLoopBackOff') {
    const restarts = status.restartCount ?? 0;
    const oom =
      last?.reason === 'OOMKilled'
        ? ` It ran out of memory: raise memorySize above the limit${memoryLimit(pod, status.name)}.`
        : '';
    return {
      state: 'CrashLoopBackOff',
      problem: `${name} keeps crashing (CrashLoopBackOff, ${restarts} restart${restarts === 1 ? '' : 's'})${last ? `: last ${exitText(last)}` : ''}.${oom}`,
      fatal: true,
      crashedContainer: status.name,
    };
  }
  if (waiting?.reason && IMAGE_REASONS.has(waiting.reason)) {
    const image =
      status.image ?? pod.spec?.containers?.find((c) => c.name === status.name)?.image ?? '?';
    return {
      state: waiting.reason,
      problem: `${name} cannot pull image "${image}" (${waiting.reason})${waiting.message ? `: ${waiting.message}` : ''}`,
      fatal: FATAL_REASONS.has(waiting.reason),
    };
  }
  if (waiting?.reason && CONFIG_REASONS.has(waiting.reason)) {
    return {
      state: waiting.reason,
      problem: `${name} cannot start (${waiting.reason})${waiting.message ? `: ${waiting.message}` : ''}`,
      fatal: true,
    };
  }
  if (terminated && terminated.reason === 'OOMKilled') {
    return {
      state: 'OOMKilled',
      problem: `${name} was killed for using more memory than its limit${memoryLimit(pod, status.name)} (OOMKilled): raise memorySize.`,
      fatal: false,
      crashedContainer: status.name,
    };
  }
  if (terminated && (terminated.exitCode ?? 0) !== 0) {
    return {
      state: terminated.reason ?? 'Error',
      problem: `${name} exited with ${exitText(terminated)}`,
      fatal: false,
    };
  }
  if (waiting?.reason) return { state: waiting.reason, fatal: false };
  if (status.state?.running && !status.ready) {
    const oom =
      last?.reason === 'OOMKilled'
        ? ` (restarted after OOMKilled; raise memorySize above the limit${memoryLimit(pod, status.name)})`
        : '';
    return {
      state: 'Running, not Ready',
      ...(oom ? { problem: `${name} is running but not Ready${oom}` } : {}),
      fatal: false,
    };
  }
  return undefined;
}

/**
 * What one pod's status says, without talking to the cluster. `container` narrows the check to the
 * function's container when the pod has one of that name (sidecars' problems are then ignored).
 */
export function podState(pod: PodView, container?: string): PodDiagnosis {
  const name = pod.metadata.name;
  const ready = isPodReady(pod);
  const status = pod.status ?? {};
  if (pod.metadata.deletionTimestamp)
    return { pod: name, ready: false, state: 'Terminating', fatal: false };
  if (status.phase === 'Failed') {
    const why = [status.reason, status.message].filter(Boolean).join(': ');
    return {
      pod: name,
      ready,
      state: 'Failed',
      problem: `pod failed${why ? ` (${why})` : ''}`,
      fatal: true,
    };
  }
  const all = status.containerStatuses ?? [];
  const chosen =
    container && all.some((c) => c.name === container)
      ? all.filter((c) => c.name === container)
      : all;
  // Init containers run first: if one is stuck, that is the problem.
  for (const statusOf of [...(status.initContainerStatuses ?? []), ...chosen]) {
    const problem = containerProblem(pod, statusOf);
    if (problem?.problem || problem?.fatal) return { pod: name, ready, ...problem };
  }
  const unscheduled = status.conditions?.find(
    (c) => c.type === 'PodScheduled' && c.status === 'False',
  );
  if (unscheduled?.reason === 'Unschedulable') {
    return {
      pod: name,
      ready,
      state: 'Unschedulable',
      problem: `cannot be scheduled: ${unscheduled.message ?? 'no node fits'}`,
      fatal: false,
    };
  }
  if (ready) return { pod: name, ready, state: 'Ready', fatal: false };
  const waitingReason = chosen.map((c) => c.state?.waiting?.reason).find(Boolean);
  const notReady = chosen.some((c) => c.state?.running) ? 'Running, not Ready' : undefined;
  return {
    pod: name,
    ready,
    state: waitingReason ?? notReady ?? status.phase ?? 'Pending',
    fatal: false,
  };
}

/** The last lines of a stream, or undefined when it cannot be read within `timeoutMs`. */
async function lastLines(
  open: () => Promise<Readable>,
  count: number,
  timeoutMs: number,
): Promise<string[] | undefined> {
  let stream: Readable | undefined;
  const timer = new Promise<undefined>((resolve) =>
    setTimeout(() => resolve(undefined), timeoutMs).unref(),
  );
  const read = (async () => {
    stream = await open();
    return (await buffer(stream))
      .toString('utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .slice(-count);
  })().catch(() => undefined);
  const lines = await Promise.race([read, timer]);
  stream?.destroy();
  return lines;
}

/** Adds the crashed container's last log lines (previous instance) to a diagnosis. */
async function withCrashLogs(
  client: ClusterClient,
  namespace: string,
  diagnosis: PodDiagnosis,
): Promise<PodDiagnosis> {
  if (!diagnosis.crashedContainer || !diagnosis.problem) return diagnosis;
  const container = diagnosis.crashedContainer;
  const lines = await lastLines(
    () =>
      client.podLogs(namespace, diagnosis.pod, {
        container,
        previous: true,
        tailLines: CRASH_LOG_LINES,
      }),
    CRASH_LOG_LINES,
    5_000,
  );
  if (!lines || lines.length === 0) return diagnosis;
  return {
    ...diagnosis,
    problem: `${diagnosis.problem}\nLast log lines of ${container}:\n${lines.map((l) => `  | ${l}`).join('\n')}`,
  };
}

interface EventView {
  reason?: string;
  message?: string;
  lastTimestamp?: string;
  eventTime?: string;
}

/**
 * Adds the kubelet's last pull error (an Event: not found, unauthorized…) to an image-pull
 * diagnosis; the back-off status itself only says that pulling keeps failing.
 */
async function withPullError(
  client: ClusterClient,
  namespace: string,
  diagnosis: PodDiagnosis,
): Promise<PodDiagnosis> {
  if (!PULL_REASONS.has(diagnosis.state) || !diagnosis.problem) return diagnosis;
  const events = (await client
    .list('v1', 'Event', namespace, undefined, `involvedObject.name=${diagnosis.pod}`)
    .catch(() => [])) as unknown as EventView[];
  const when = (event: EventView) => event.lastTimestamp ?? event.eventTime ?? '';
  const failed = events
    .filter((event) => event.reason === 'Failed' && /pull/i.test(event.message ?? ''))
    .sort((a, b) => when(a).localeCompare(when(b)))
    .at(-1)?.message;
  if (!failed || diagnosis.problem.includes(failed)) return diagnosis;
  return { ...diagnosis, problem: `${diagnosis.problem}\nLast pull error: ${failed}` };
}

/** A diagnosis with what the cluster can add: crash logs, the last image pull error. */
export async function explainPod(
  client: ClusterClient,
  namespace: string,
  diagnosis: PodDiagnosis,
): Promise<PodDiagnosis> {
  return withPullError(client, namespace, await withCrashLogs(client, namespace, diagnosis));
}

/** Every pod matching `selector`, with what is wrong with it (crash logs, pull errors when available). */
export async function diagnosePods(
  client: ClusterClient,
  namespace: string,
  selector: string,
  container?: string,
): Promise<PodDiagnosis[]> {
  const pods = (await client.list('v1', 'Pod', namespace, selector)) as unknown as PodView[];
  return Promise.all(pods.map((pod) => explainPod(client, namespace, podState(pod, container))));
}

/** `pod-a: CrashLoopBackOff (container "x" keeps crashing…)` lines, for messages. */
export function formatPodStates(diagnoses: PodDiagnosis[]): string {
  return diagnoses
    .map((d) => `pod ${d.pod}: ${d.state}${d.problem ? ` — ${d.problem}` : ''}`)
    .join('\n');
}
