// Cluster-side reading of Knative Services: readiness (waitReady), `info` (describe) and where
// `invoke` goes through the API server proxy (proxyTarget).
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterClient, KubeObject } from '../../cluster/types.js';
import type { FunctionEvent, FunctionModel, ServiceModel } from '../../model/types.js';
import { UserError } from '../../util/errors.js';
import type {
  FunctionInfo,
  FunctionStatus,
  ProgressSink,
  ProxyTarget,
  TriggerInfo,
} from '../types.js';
import { diagnosePods, formatPodStates, type PodDiagnosis } from '../../cluster/pods.js';
import { DOMAIN_MAPPING, KSERVICE, REVISION, SERVICE_LABEL, USER_CONTAINER } from './api.js';

const POLL_INTERVAL_MS = 1000;

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

interface ServiceStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  url?: string;
  latestCreatedRevisionName?: string;
  latestReadyRevisionName?: string;
  traffic?: {
    revisionName?: string;
    latestRevision?: boolean;
    percent?: number;
    tag?: string;
    url?: string;
  }[];
}

export type ServiceState =
  | { phase: 'ready'; revision?: string }
  | { phase: 'failed'; reason: string; message: string; revision?: string }
  | { phase: 'pending'; detail: string };

function statusOf(service: KubeObject): ServiceStatus {
  return (service.status ?? {}) as ServiceStatus;
}

function templateName(service: KubeObject): string | undefined {
  const spec = service.spec as { template?: { metadata?: { name?: string } } } | undefined;
  return spec?.template?.metadata?.name;
}

/**
 * Pure reading of a Knative Service's status. Conditions only count once the controller has seen
 * this generation; Ready also requires the revision this spec names to be the latest ready one.
 */
export function serviceState(service: KubeObject | undefined): ServiceState {
  if (!service) return { phase: 'pending', detail: 'Service not found' };
  const status = statusOf(service);
  const generation = service.metadata.generation as number | undefined;
  if (generation !== undefined && status.observedGeneration !== generation) {
    return {
      phase: 'pending',
      detail: `waiting for the Knative controller (generation ${generation})`,
    };
  }
  const conditions = status.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const wanted = templateName(service);
  if (ready?.status === 'True') {
    if (wanted && status.latestReadyRevisionName !== wanted) {
      return { phase: 'pending', detail: `revision ${wanted} not ready yet` };
    }
    return { phase: 'ready', revision: status.latestReadyRevisionName };
  }
  if (ready?.status === 'False') {
    // Ready's own text is often generic; a failing sub-condition says more.
    const cause =
      conditions.find((c) => c.type !== 'Ready' && c.status === 'False' && c.message) ?? ready;
    return {
      phase: 'failed',
      reason: ready.reason ?? cause.reason ?? 'NotReady',
      message: cause.message ?? ready.message ?? '',
      revision: status.latestCreatedRevisionName ?? wanted,
    };
  }
  const detail = ready?.reason
    ? `${ready.reason}${ready.message ? `: ${ready.message}` : ''}`
    : 'Ready condition not set yet';
  return { phase: 'pending', detail };
}

async function replicas(
  client: ClusterClient,
  fn: FunctionModel,
  revision: string | undefined,
): Promise<[number, number]> {
  if (!revision) return [0, 0];
  const object = await client.get(REVISION.apiVersion, REVISION.kind, fn.namespace, revision);
  const status = (object?.status ?? {}) as { actualReplicas?: number; desiredReplicas?: number };
  return [status.actualReplicas ?? 0, status.desiredReplicas ?? 0];
}

const REVISION_LABEL = 'serving.knative.dev/revision';
/** Pods are looked at every this many polls while the Service is pending (fail fast on a crash loop). */
const POD_CHECK_EVERY = 4;

/** The revision's (else the function's) pods that have something wrong, worst first. */
async function troubledPods(
  client: ClusterClient,
  fn: FunctionModel,
  revision: string | undefined,
): Promise<PodDiagnosis[]> {
  const selector = revision ? `${REVISION_LABEL}=${revision}` : `${SERVICE_LABEL}=${fn.name}`;
  const diagnoses = await diagnosePods(client, fn.namespace, selector, USER_CONTAINER);
  return diagnoses.filter((d) => d.problem).sort((a, b) => Number(b.fatal) - Number(a.fatal));
}

async function waitOne(
  client: ClusterClient,
  fn: FunctionModel,
  deadline: number,
  progress: ProgressSink,
): Promise<FunctionStatus> {
  const base = { name: fn.name, namespace: fn.namespace };
  let state: ServiceState = { phase: 'pending', detail: 'not checked yet' };
  let service: KubeObject | undefined;
  let fatalPods: PodDiagnosis[] | undefined;
  // Bounded by the deadline: at most timeoutMs / POLL_INTERVAL_MS rounds.
  for (let round = 1; ; round += 1) {
    service = await client.get(KSERVICE.apiVersion, KSERVICE.kind, fn.namespace, fn.name);
    state = serviceState(service);
    if (state.phase !== 'pending') break;
    // Knative reports a crash-looping revision only at its progress deadline (10 min by default).
    if (round % POD_CHECK_EVERY === 0 && service) {
      const pods = await troubledPods(client, fn, templateName(service));
      const fatal = pods.find((d) => d.fatal);
      if (fatal) {
        state = {
          phase: 'failed',
          reason: fatal.state,
          message: '',
          revision: templateName(service),
        };
        fatalPods = pods;
        break;
      }
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    progress.update(`${fn.key}: ${state.detail}`);
    await sleep(Math.min(POLL_INTERVAL_MS, remaining));
  }

  if (state.phase === 'ready') {
    const [ready, desired] = await replicas(client, fn, state.revision);
    return { ...base, ready: true, readyReplicas: ready, desiredReplicas: desired };
  }
  const revision =
    state.phase === 'failed' ? state.revision : service ? templateName(service) : undefined;
  const headline =
    state.phase === 'failed'
      ? `${state.reason}${state.message ? `: ${state.message}` : ` (revision ${revision})`}`
      : `not Ready before the timeout (${state.detail})`;
  const pods = fatalPods ?? (await troubledPods(client, fn, revision));
  const podText = formatPodStates(pods.slice(0, 3));
  return {
    ...base,
    ready: false,
    readyReplicas: 0,
    desiredReplicas: 0,
    problem: podText ? `${headline}\n${podText}` : headline,
  };
}

export async function waitReady(
  client: ClusterClient,
  _model: ServiceModel,
  functions: FunctionModel[],
  options: { timeoutMs: number; progress: ProgressSink },
): Promise<FunctionStatus[]> {
  const deadline = Date.now() + options.timeoutMs;
  return Promise.all(
    functions.map(async (fn) => {
      const status = await waitOne(client, fn, deadline, options.progress);
      const warnings = await domainMappingWarnings(client, fn);
      return warnings.length > 0 ? { ...status, warnings } : status;
    }),
  );
}

/**
 * A DomainMapping serves its domain only once its cluster owns the domain: without a
 * ClusterDomainClaim (autocreate-cluster-domain-claims in config-network is false by default) it
 * stays not Ready with reason DomainAlreadyClaimed (serving pkg/apis/serving/v1beta1
 * domainmapping_lifecycle.go MarkDomainClaimNotOwned). Deploy says so instead of staying silent.
 */
async function domainMappingWarnings(client: ClusterClient, fn: FunctionModel): Promise<string[]> {
  const warnings: string[] = [];
  for (const event of fn.events) {
    if (event.kind !== 'http' || !event.customDomain) continue;
    const mapping = await client.get(
      DOMAIN_MAPPING.apiVersion,
      DOMAIN_MAPPING.kind,
      fn.namespace,
      event.customDomain,
    );
    const conditions =
      (
        mapping?.status as
          | { conditions?: { type: string; status: string; reason?: string; message?: string }[] }
          | undefined
      )?.conditions ?? [];
    const ready = conditions.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') continue;
    const why = ready?.reason
      ? `${ready.reason}${ready.message ? `: ${ready.message}` : ''}`
      : 'no status yet';
    warnings.push(
      `DomainMapping ${event.customDomain} is not serving (${why}). A domain needs a ClusterDomainClaim for namespace ${fn.namespace} ` +
        '(kubectl create of networking.internal.knative.dev/v1alpha1 ClusterDomainClaim), unless config-network sets autocreate-cluster-domain-claims: "true" (docs/knative.md).',
    );
  }
  return warnings;
}

function triggerInfo(event: FunctionEvent, url: string | undefined): TriggerInfo {
  const name = event.name;
  switch (event.kind) {
    case 'http':
      return event.customDomain
        ? {
            kind: 'DomainMapping',
            name: event.customDomain,
            detail: `http://${event.customDomain}`,
          }
        : { kind: 'http', name, detail: url ?? '(no URL yet)' };
    case 'schedule':
      return {
        kind: 'PingSource',
        name,
        detail: event.timezone ? `${event.cron} (${event.timezone})` : event.cron,
      };
    case 'cloudEvent': {
      const filter = Object.entries(event.filter).map(([k, v]) => `${k}=${v}`);
      return {
        kind: 'Trigger',
        name,
        detail: `broker ${event.broker}${filter.length ? `, ${filter.join(', ')}` : ''}`,
      };
    }
    case 'kafkaSource':
      return {
        kind: 'KafkaSource',
        name,
        detail: `${event.topics.join(', ')} @ ${event.bootstrapServers.join(', ')}`,
      };
    case 'queue':
      return { kind: 'unsupported', name, detail: `${event.queue} ${event.topic} (Kubeless only)` };
  }
}

export async function describe(
  client: ClusterClient,
  _model: ServiceModel,
  fn: FunctionModel,
): Promise<FunctionInfo> {
  const service = await client.get(KSERVICE.apiVersion, KSERVICE.kind, fn.namespace, fn.name);
  const status = service ? statusOf(service) : {};
  const state = serviceState(service);
  const [readyReplicas, desiredReplicas] = await replicas(
    client,
    fn,
    status.latestReadyRevisionName,
  );
  const specTraffic = (
    (service?.spec as { traffic?: ServiceStatus['traffic'] } | undefined)?.traffic ?? []
  ).map((t) => ({
    ...t,
    revisionName: t.revisionName ?? status.latestReadyRevisionName,
  }));
  // status.traffic is what the Route serves (with tag URLs); before the controller fills it, show the spec.
  const traffic = (status.traffic?.length ? status.traffic : specTraffic).map((t) => ({
    revision: t.revisionName ?? '(latest)',
    percent: t.percent ?? 0,
    ...(t.tag ? { tag: t.tag } : {}),
    ...(t.url ? { url: t.url } : {}),
    ...(t.latestRevision ? { latest: true } : {}),
  }));
  const problem = !service
    ? 'not deployed'
    : state.phase === 'failed'
      ? `${state.reason}${state.message ? `: ${state.message}` : ''}`
      : state.phase === 'pending'
        ? state.detail
        : undefined;
  return {
    name: fn.name,
    namespace: fn.namespace,
    ready: state.phase === 'ready',
    readyReplicas,
    desiredReplicas,
    ...(problem ? { problem } : {}),
    runtime: fn.runtime,
    handler: fn.handler?.raw ?? fn.image ?? '',
    triggers: fn.events.map((event) => triggerInfo(event, status.url)),
    ...(status.url ? { url: status.url } : {}),
    ...(status.latestCreatedRevisionName
      ? { latestCreatedRevision: status.latestCreatedRevisionName }
      : {}),
    ...(status.latestReadyRevisionName
      ? { latestReadyRevision: status.latestReadyRevisionName }
      : {}),
    traffic:
      traffic.length > 0
        ? traffic
        : status.latestReadyRevisionName
          ? [{ revision: status.latestReadyRevisionName, percent: 100, latest: true }]
          : [],
  };
}

/**
 * Through the API server proxy to the latest ready Revision's private Kubernetes Service
 * (`<revision>-private`, port 80 "http"). Knative points that Service at the revision's pods'
 * queue-proxy, which forwards to the user container; the route URL (ingress) is not needed.
 */
export async function proxyTarget(client: ClusterClient, fn: FunctionModel): Promise<ProxyTarget> {
  const service = await client.get(KSERVICE.apiVersion, KSERVICE.kind, fn.namespace, fn.name);
  if (!service) {
    throw new UserError(
      `${fn.key}: Knative Service ${fn.namespace}/${fn.name} not found on ${client.clusterName}; run \`serverless deploy\`.`,
    );
  }
  const revision = statusOf(service).latestReadyRevisionName;
  if (!revision) {
    const state = serviceState(service);
    const why =
      state.phase === 'failed'
        ? `${state.reason}: ${state.message}`
        : state.phase === 'pending'
          ? state.detail
          : '';
    throw new UserError(
      `${fn.key}: Knative Service ${fn.namespace}/${fn.name} has no ready revision to invoke (${why}); ` +
        'see `serverless info` and `serverless logs`.',
    );
  }
  // A cluster-local route is only reachable inside the cluster: don't try it from here.
  const routeUrl = fn.visibility === 'cluster-local' ? undefined : statusOf(service).url;
  return {
    namespace: fn.namespace,
    service: `${revision}-private`,
    port: 80,
    ...(routeUrl ? { routeUrl } : {}),
  };
}
