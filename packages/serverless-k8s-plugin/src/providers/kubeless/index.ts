// The Kubeless provider: kubeless.io/v1beta1 Functions and triggers. Rendering is pure
// (manifests.ts); this file holds what talks to the cluster: preflight (CRDs, runtimes), readiness,
// `info`, and where invoke and logs find the function.
import type { ClusterClient, KubeObject } from '../../cluster/types.js';
import type { FunctionModel, ServiceModel } from '../../model/types.js';
import { UserError } from '../../util/errors.js';
import type {
  FunctionInfo,
  PreflightNotes,
  ProviderAdapter,
  ProxyTarget,
  TriggerInfo,
} from '../types.js';
import { KUBELESS_API_VERSION as API, KUBELESS_PORT_NAME, renderKubeless } from './manifests.js';
import { kubelessRules } from './rules.js';
import { closestRuntime, parseRuntimeIds } from './runtimes.js';
import {
  KUBELESS_SELECTOR,
  functionPodSelector,
  kubelessStatus,
  readKubelessBaseline,
  waitKubelessReady,
} from './status.js';

/** Trigger kinds, the CRD that serves each, and which events need it. */
const TRIGGERS = [
  {
    kind: 'HTTPTrigger',
    crd: 'httptriggers.kubeless.io',
    uses: (fn: FunctionModel) => fn.events.some((e) => e.kind === 'http'),
  },
  {
    kind: 'CronJobTrigger',
    crd: 'cronjobtriggers.kubeless.io',
    uses: (fn: FunctionModel) => fn.events.some((e) => e.kind === 'schedule'),
  },
  {
    kind: 'KafkaTrigger',
    crd: 'kafkatriggers.kubeless.io',
    uses: (fn: FunctionModel) => fn.events.some((e) => e.kind === 'queue' && e.queue === 'kafka'),
  },
  {
    kind: 'NATSTrigger',
    crd: 'natstriggers.kubeless.io',
    uses: (fn: FunctionModel) => fn.events.some((e) => e.kind === 'queue' && e.queue === 'nats'),
  },
] as const;

export interface KubelessProviderOptions {
  /** Namespace of the kubeless-config ConfigMap (where Kubeless is installed). */
  configNamespace?: string;
}

/** The runtimes the cluster accepts, or a note saying why they could not be read. */
async function clusterRuntimes(
  client: ClusterClient,
  namespace: string,
): Promise<{ ids?: string[]; note?: string }> {
  let config: KubeObject | undefined;
  try {
    config = await client.get('v1', 'ConfigMap', namespace, 'kubeless-config');
  } catch (error) {
    // A deployer's Role may not reach the kubeless namespace: say so, but deploy anyway.
    return { note: `Runtimes not checked: ${(error as Error).message}` };
  }
  if (!config) {
    return {
      note: `Runtimes not checked: ConfigMap ${namespace}/kubeless-config not found in cluster ${client.clusterName}.`,
    };
  }
  const runtimeImages = (config.data as Record<string, string> | undefined)?.['runtime-images'];
  if (!runtimeImages)
    return { note: `Runtimes not checked: ${namespace}/kubeless-config has no runtime-images.` };
  try {
    return { ids: parseRuntimeIds(runtimeImages) };
  } catch (error) {
    return {
      note: `Runtimes not checked: runtime-images of ${namespace}/kubeless-config is not readable (${(error as Error).message}).`,
    };
  }
}

/**
 * APIs Kubeless 1.0.x's controllers write with, which newer Kubernetes no longer serves: the
 * http-trigger's Ingress (extensions/v1beta1, http-trigger k8sutil.go:335; gone in 1.22), the
 * cronjob-trigger's CronJob (batch/v1beta1, kubelessutil.go:146; gone in 1.25) and the function
 * controller's HPA (autoscaling/v2beta1, function_controller.go:360-382; gone in 1.25).
 */
const CONTROLLER_APIS = [
  {
    apiVersion: 'extensions/v1beta1',
    kind: 'Ingress',
    removedIn: '1.22',
    what: 'http events (the http-trigger controller creates extensions/v1beta1 Ingresses)',
    uses: (fn: FunctionModel) => fn.events.some((e) => e.kind === 'http'),
  },
  {
    apiVersion: 'batch/v1beta1',
    kind: 'CronJob',
    removedIn: '1.25',
    what: 'schedule events (the cronjob-trigger controller creates batch/v1beta1 CronJobs)',
    uses: (fn: FunctionModel) => fn.events.some((e) => e.kind === 'schedule'),
  },
  {
    apiVersion: 'autoscaling/v2beta1',
    kind: 'HorizontalPodAutoscaler',
    removedIn: '1.25',
    what: 'autoscaling (the function controller creates autoscaling/v2beta1 HorizontalPodAutoscalers)',
    uses: (fn: FunctionModel) => fn.autoscaling !== undefined,
  },
] as const;

async function checkServedApis(client: ClusterClient, functions: FunctionModel[]): Promise<void> {
  const missing: string[] = [];
  for (const api of CONTROLLER_APIS) {
    const users = functions.filter(api.uses);
    if (users.length === 0 || (await client.hasKind(api.apiVersion, api.kind))) continue;
    missing.push(
      `${api.what}, used by ${users.map((fn) => fn.key).join(', ')}: ${client.clusterName} does not serve ${api.apiVersion} ${api.kind} (removed in Kubernetes ${api.removedIn})`,
    );
  }
  if (missing.length > 0) {
    throw new UserError(
      `Kubeless 1.0.x cannot run this on ${client.clusterName}; nothing was applied:\n  - ${missing.join('\n  - ')}\n` +
        'Kubeless works up to Kubernetes 1.21 for http events and 1.24 for schedules and autoscaling (docs/kubeless.md); remove those events, or use provider knative.',
    );
  }
}

async function preflight(
  client: ClusterClient,
  model: ServiceModel,
  only: FunctionModel[] | undefined,
  configNamespace: string,
): Promise<PreflightNotes> {
  const functions = only ?? model.functions;
  if (!(await client.hasKind(API, 'Function'))) {
    throw new UserError(
      `Kubeless is not installed in cluster ${client.clusterName} (CRD functions.kubeless.io missing). ` +
        'Install Kubeless, or pick the right cluster with provider.context.',
    );
  }
  for (const trigger of TRIGGERS) {
    const users = functions.filter(trigger.uses);
    if (users.length > 0 && !(await client.hasKind(API, trigger.kind))) {
      throw new UserError(
        `${users.map((fn) => fn.key).join(', ')} use${users.length === 1 ? 's' : ''} ${trigger.kind} events, but cluster ` +
          `${client.clusterName} does not serve them (CRD ${trigger.crd} missing): install that Kubeless trigger controller.`,
      );
    }
  }
  await checkServedApis(client, functions);
  const { ids, note } = await clusterRuntimes(client, configNamespace);
  if (!ids) return { warnings: note ? [note] : [] };
  // A prebuilt image brings its own runtime; only code deployments need a runtime image.
  const unknown = functions.filter((fn) => !fn.image && !ids.includes(fn.runtime));
  if (unknown.length > 0) {
    // One line per unknown runtime, naming every function that asks for it.
    const byRuntime = new Map<string, string[]>();
    for (const fn of unknown)
      byRuntime.set(fn.runtime, [...(byRuntime.get(fn.runtime) ?? []), fn.key]);
    const lines = [...byRuntime].map(([runtime, keys]) => {
      const closest = closestRuntime(runtime, ids);
      const who =
        keys.length === 1 ? `function "${keys[0] ?? ''}"` : `functions ${keys.join(', ')}`;
      return `${who}: runtime "${runtime}" is not available${closest ? ` — did you mean "${closest}"?` : ''}`;
    });
    throw new UserError(
      `${lines.join('\n')}\nValid runtimes in cluster ${client.clusterName} (from ${configNamespace}/kubeless-config): ${ids.join(', ')}. ` +
        "Set provider.runtime or the function's runtime to one of them.",
    );
  }
  return { warnings: [] };
}

/** `http://host/path` of an HTTPTrigger: from its Ingress when the trigger controller made one. */
async function httpTriggerUrl(client: ClusterClient, trigger: KubeObject): Promise<string> {
  const spec = (trigger.spec ?? {}) as {
    'host-name'?: string;
    path?: string;
    tls?: boolean;
    'tls-secret'?: string;
  };
  const namespace = trigger.metadata.namespace;
  const ingress =
    (await client.get('networking.k8s.io/v1', 'Ingress', namespace, trigger.metadata.name)) ??
    (await client.get('networking.k8s.io/v1beta1', 'Ingress', namespace, trigger.metadata.name));
  const ingressSpec = ingress?.spec as
    | {
        rules?: { host?: string; http?: { paths?: { path?: string }[] } }[];
        tls?: { hosts?: string[] }[];
      }
    | undefined;
  const rule = ingressSpec?.rules?.[0];
  const loadBalancer = (
    ingress?.status as
      { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } | undefined
  )?.loadBalancer?.ingress?.[0];
  const host = rule?.host ?? loadBalancer?.hostname ?? loadBalancer?.ip ?? spec['host-name'];
  const rawPath = rule?.http?.paths?.[0]?.path ?? spec.path ?? '/';
  const path = rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
  const tls = ingress
    ? (ingressSpec?.tls ?? []).some((entry) => !entry.hosts || entry.hosts.includes(host ?? ''))
    : !!(spec.tls || spec['tls-secret']);
  return host
    ? `${tls ? 'https' : 'http'}://${host}${path}`
    : `path ${path} (no host name: set provider.hostname or the event's hostname)`;
}

function selects(
  selector: { matchLabels?: Record<string, string> } | undefined,
  labels: Record<string, string>,
): boolean {
  const wanted = Object.entries(selector?.matchLabels ?? {});
  return wanted.length > 0 && wanted.every(([key, value]) => labels[key] === value);
}

/** The function's triggers of every kind the cluster serves, each with URL, schedule or topic. */
async function functionTriggers(
  client: ClusterClient,
  fn: FunctionModel,
  functionLabels: Record<string, string>,
): Promise<TriggerInfo[]> {
  const [http, cron, kafka, nats] = await Promise.all(
    TRIGGERS.map(({ kind }) => client.list(API, kind, fn.namespace)),
  );
  const bySpec = (objects: KubeObject[] | undefined) =>
    (objects ?? []).filter(
      (object) =>
        (object.spec as Record<string, unknown> | undefined)?.['function-name'] === fn.name,
    );
  const byTopic = (objects: KubeObject[] | undefined) =>
    (objects ?? []).filter((object) =>
      selects(
        (object.spec as { functionSelector?: { matchLabels?: Record<string, string> } })
          ?.functionSelector,
        functionLabels,
      ),
    );
  const topic = (object: KubeObject) =>
    `topic ${String((object.spec as { topic?: string } | undefined)?.topic ?? '?')}`;
  return [
    ...(await Promise.all(
      bySpec(http).map(async (t) => ({
        kind: 'HTTPTrigger',
        name: t.metadata.name,
        detail: await httpTriggerUrl(client, t),
      })),
    )),
    ...bySpec(cron).map((t) => ({
      kind: 'CronJobTrigger',
      name: t.metadata.name,
      detail: String((t.spec as { schedule?: string }).schedule ?? '?'),
    })),
    ...byTopic(kafka).map((t) => ({
      kind: 'KafkaTrigger',
      name: t.metadata.name,
      detail: topic(t),
    })),
    ...byTopic(nats).map((t) => ({ kind: 'NATSTrigger', name: t.metadata.name, detail: topic(t) })),
  ];
}

async function describe(client: ClusterClient, fn: FunctionModel): Promise<FunctionInfo> {
  const deployed = await client.get(API, 'Function', fn.namespace, fn.name);
  const fallbackHandler = fn.handler
    ? `${fn.handler.file.replace(/\.[cm]?[jt]s$/, '')}.${fn.handler.exportName}`
    : '';
  if (!deployed) {
    return {
      name: fn.name,
      namespace: fn.namespace,
      ready: false,
      readyReplicas: 0,
      desiredReplicas: 0,
      problem: `not deployed (no Function "${fn.name}" in namespace "${fn.namespace}" of cluster ${client.clusterName})`,
      runtime: fn.runtime,
      handler: fallbackHandler,
      triggers: [],
    };
  }
  const spec = (deployed.spec ?? {}) as { runtime?: string; handler?: string };
  const [status, triggers] = await Promise.all([
    kubelessStatus(client, fn),
    functionTriggers(client, fn, deployed.metadata.labels ?? {}),
  ]);
  const url = triggers.find(
    (t) => t.kind === 'HTTPTrigger' && /^https?:\/\//.test(t.detail),
  )?.detail;
  return {
    ...status,
    runtime: spec.runtime ?? fn.runtime,
    handler: spec.handler ?? fallbackHandler,
    triggers,
    ...(url ? { url } : {}),
  };
}

async function proxyTarget(client: ClusterClient, fn: FunctionModel): Promise<ProxyTarget> {
  const service = await client.get('v1', 'Service', fn.namespace, fn.name);
  if (!service) {
    throw new UserError(
      `Function "${fn.key}" has no Service "${fn.name}" in namespace "${fn.namespace}" of cluster ${client.clusterName}: ` +
        'deploy it first (serverless deploy), or check that the Kubeless controller is running.',
    );
  }
  const ports =
    (service.spec as { ports?: { name?: string; port: number }[] } | undefined)?.ports ?? [];
  const port = ports.find((p) => p.name === KUBELESS_PORT_NAME) ?? ports[0];
  return {
    namespace: fn.namespace,
    service: fn.name,
    port: port?.port ?? fn.servicePort ?? fn.port,
  };
}

/**
 * Kubeless's controllers add their finalizer (kubeless.io/function, kubeless.io/httptrigger,
 * kubeless.io/cronjobtrigger) with an Update of the whole object (function_controller.go:238-239,
 * http_trigger_controller.go:231-236), which writes back every field of their Go types and makes
 * them managers of fields this plugin applies (e.g. spec.deployment.spec.template.spec.containers).
 * A manager that owns such a finalizer is that controller: its fields may be taken over.
 */
export function writtenBackByController(live: KubeObject, managers: string[]): boolean {
  const finalizers = (live.metadata.finalizers as string[] | undefined) ?? [];
  if (!finalizers.some((f) => f.startsWith('kubeless.io/'))) return false;
  const entries =
    (live.metadata.managedFields as
      | {
          manager?: string;
          operation?: string;
          fieldsV1?: { 'f:metadata'?: { 'f:finalizers'?: unknown } };
        }[]
      | undefined) ?? [];
  return managers.every((manager) =>
    entries.some(
      (entry) =>
        entry.manager === manager &&
        entry.operation === 'Update' &&
        entry.fieldsV1?.['f:metadata']?.['f:finalizers'] !== undefined,
    ),
  );
}

/**
 * After `remove`: the removed Functions' Deployments, which only the garbage collector deletes
 * (the controller deletes them through extensions/v1beta1, function_controller.go:406-408, which
 * Kubernetes 1.16+ no longer serves, and ignores the 404), are waited for; the finished pods of
 * the schedules' Jobs, which Kubernetes orphans when the cronjob-trigger deletes their CronJob
 * (cronjob_trigger_controller.go:222, default propagation), are deleted: they carry the
 * function's labels, so they are this service's.
 */
async function removeLeftovers(
  client: ClusterClient,
  removed: KubeObject[],
): Promise<{ waitFor: KubeObject[]; removedBy: string }> {
  const functions = removed.filter((o) => o.kind === 'Function');
  const waitFor: KubeObject[] = [];
  for (const fn of functions) {
    const namespace = fn.metadata.namespace ?? 'default';
    const [deployment, pods] = await Promise.all([
      client.get('apps/v1', 'Deployment', namespace, fn.metadata.name),
      client.list(
        'v1',
        'Pod',
        namespace,
        `${KUBELESS_SELECTOR},function=${fn.metadata.name},job-name`,
      ),
    ]);
    if (deployment) waitFor.push({ ...deployment, apiVersion: 'apps/v1', kind: 'Deployment' });
    for (const pod of pods) {
      const owners = (pod.metadata.ownerReferences as unknown[] | undefined) ?? [];
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (owners.length === 0 && (phase === 'Succeeded' || phase === 'Failed')) {
        await client.delete('v1', 'Pod', namespace, pod.metadata.name);
      }
    }
  }
  return {
    waitFor,
    removedBy:
      "the garbage collector (kube-controller-manager), by the Deployments' owner references",
  };
}

export function createKubelessProvider(options: KubelessProviderOptions = {}): ProviderAdapter {
  const configNamespace = options.configNamespace ?? 'kubeless';
  return {
    name: 'kubeless',
    render: renderKubeless,
    rules: kubelessRules,
    preflight: (client, model, only) => preflight(client, model, only, configNamespace),
    readBaseline: readKubelessBaseline,
    waitReady: (client, _model, functions, waitOptions) =>
      waitKubelessReady(client, functions, waitOptions),
    describe: (client, _model, fn) => describe(client, fn),
    proxyTarget,
    podSelector: functionPodSelector,
    takesOverFrom: writtenBackByController,
    afterRemove: removeLeftovers,
    // The http-trigger controller reads the function's Service once, when the trigger is created,
    // and never retries (http_trigger_controller.go:246-253, k8sutil.go:227-229): without the
    // Service no Ingress is ever made.
    prerequisite: (object) =>
      object.kind === 'HTTPTrigger'
        ? {
            apiVersion: 'v1',
            kind: 'Service',
            namespace: object.metadata.namespace ?? 'default',
            name: String(
              (object.spec as { 'function-name'?: string } | undefined)?.['function-name'] ?? '',
            ),
            madeBy: "Kubeless's function controller",
          }
        : undefined,
    // Kubeless names the runtime container after the function.
    containerName: (fn) => fn.name,
    ownedKinds: () => [
      { apiVersion: API, kind: 'Function' },
      ...TRIGGERS.map(({ kind }) => ({ apiVersion: API, kind })),
    ],
  };
}

export const kubelessProvider: ProviderAdapter = createKubelessProvider();
