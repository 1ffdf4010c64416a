// Pure: normalized model + packaged artifacts → Knative objects. No I/O, so golden tests pin it.
import type { KubeObject } from '../../cluster/types.js';
import type { EnvVar, FunctionEvent, FunctionModel, ServiceModel } from '../../model/types.js';
import type { FunctionArtifact } from '../../packaging/types.js';
import { memoryLimitBytes } from '../../model/runtime-env.js';
import { UserError } from '../../util/errors.js';
import { stableJson } from '../../util/stable-json.js';
import {
  BROKER,
  DOMAIN_MAPPING,
  KAFKA_SOURCE,
  KSERVICE,
  PING_SOURCE,
  TRIGGER,
  USER_CONTAINER,
  functionLabels,
  serviceRef,
  sha256Hex,
} from './api.js';
import { codeDelivery } from './delivery.js';
import { dockerImageRef } from './dockerfile.js';
import { pingSourceData } from './rules.js';
import { renderTraffic } from './traffic.js';

const AUTOSCALING_PREFIX = 'autoscaling.knative.dev/';
const VISIBILITY_LABEL = 'networking.knative.dev/visibility';
const DESCRIPTION_ANNOTATION = 'serverless-k8s.io/description';
const DNS_LABEL_MAX = 63;
/** The `node` user of the official Node.js images (and the USER of `build: docker` images). */
const NODE_IMAGE_UID = 1000;

/** True when the function's code travels in a ConfigMap or a built image (both need the runtime bundle). */
export function needsRuntimeBundle(fn: FunctionModel): boolean {
  return fn.build === 'docker' || !fn.image;
}

/** Volume names are DNS labels; long object names get a hashed suffix instead of being cut ambiguously. */
function volumeName(prefix: string, objectName: string): string {
  const name = `${prefix}-${objectName}`.replace(/\./g, '-');
  return name.length <= DNS_LABEL_MAX
    ? name
    : `${name.slice(0, 54)}-${sha256Hex(objectName).slice(0, 8)}`;
}

/** Knative sets these itself and rejects a Service that sets them. */
const KNATIVE_RESERVED_ENV = ['PORT', 'K_SERVICE', 'K_CONFIGURATION', 'K_REVISION'];

function runtimeEnv(fn: FunctionModel): EnvVar[] {
  const reserved = fn.environment.find((e) => KNATIVE_RESERVED_ENV.includes(e.name));
  if (reserved) {
    throw new UserError(
      `functions.${fn.key}.environment.${reserved.name}: Knative sets ${reserved.name} itself and rejects it here` +
        (reserved.name === 'PORT' ? '; set `port:` on the function instead.' : '; remove it.'),
    );
  }
  const env: EnvVar[] = [];
  if (fn.handler) env.push({ name: 'FUNC_HANDLER', value: fn.handler.exportName });
  env.push(
    { name: 'FUNC_TIMEOUT', value: String(fn.timeout) },
    { name: 'FUNC_RUNTIME', value: fn.runtime },
  );
  // A literal: a resourceFieldRef for the limit is gated behind a Knative feature flag.
  if (fn.memorySize)
    env.push({ name: 'FUNC_MEMORY_LIMIT', value: memoryLimitBytes(fn.memorySize) });
  // The user's own value wins over ours (same name listed once).
  const userNames = new Set(fn.environment.map((e) => e.name));
  return [...env.filter((e) => !userNames.has(e.name)), ...fn.environment];
}

function autoscalingAnnotations(fn: FunctionModel): Record<string, string> {
  const a = fn.knativeAutoscaling;
  if (!a) return {};
  const entries: [string, string | number | undefined][] = [
    ['min-scale', a.minScale],
    ['max-scale', a.maxScale],
    ['initial-scale', a.initialScale],
    ['target', a.target],
    ['metric', a.metric],
    ['class', a.class],
    ['window', a.window],
    ['scale-down-delay', a.scaleDownDelay],
  ];
  const out: Record<string, string> = {};
  for (const [key, value] of entries)
    if (value !== undefined) out[`${AUTOSCALING_PREFIX}${key}`] = String(value);
  return out;
}

function resources(fn: FunctionModel): Record<string, unknown> | undefined {
  const amounts: Record<string, string> = {};
  if (fn.memorySize) amounts.memory = fn.memorySize;
  if (fn.cpu) amounts.cpu = fn.cpu;
  return Object.keys(amounts).length > 0
    ? { requests: { ...amounts }, limits: { ...amounts } }
    : undefined;
}

/** Revision name `<service>-<hash>`: identical templates reuse the name, so redeploys make no revision. */
export function revisionName(fn: FunctionModel, template: Record<string, unknown>): string {
  const room = DNS_LABEL_MAX - fn.name.length - 1;
  if (room < 5) {
    throw new UserError(
      `functions.${fn.key}: name "${fn.name}" is too long for Knative revision names (<name>-<hash>, 63 characters); ` +
        `use at most ${DNS_LABEL_MAX - 6} characters (set \`name:\` on the function).`,
    );
  }
  return `${fn.name}-${sha256Hex(stableJson(template)).slice(0, Math.min(8, room))}`;
}

interface RenderedFunction {
  objects: KubeObject[];
  brokers: { namespace: string; name: string }[];
}

function renderService(
  model: ServiceModel,
  fn: FunctionModel,
  artifact: FunctionArtifact | undefined,
  runtime: Buffer | undefined,
): KubeObject[] {
  const labels = functionLabels(model, fn);
  const objects: KubeObject[] = [];
  const volumes: Record<string, unknown>[] = [];
  const volumeMounts: Record<string, unknown>[] = [];
  const container: Record<string, unknown> = { name: USER_CONTAINER };

  const needsCode = needsRuntimeBundle(fn);
  if (needsCode && (!artifact || !runtime)) {
    throw new Error(
      `renderKnative: function ${fn.key} needs its packaged artifact and the runtime bundle`,
    );
  }
  if (fn.build === 'docker') {
    container.image = dockerImageRef(model, fn, artifact as FunctionArtifact, runtime as Buffer);
  } else if (fn.image) {
    container.image = fn.image;
  } else {
    const delivery = codeDelivery(model, fn, artifact as FunctionArtifact, runtime as Buffer);
    objects.push(delivery.configMap);
    container.image = model.nodeImage;
    container.command = delivery.command;
    volumes.push(delivery.volume);
    volumeMounts.push(delivery.volumeMount);
  }

  if (needsCode) {
    // The official Node.js images run as root; a cluster that enforces non-root pods (Pod
    // Security "restricted", or Knative's later secure-pod-defaults) would never start them.
    // uid 1000 is the images' `node` user; Knative v1.4's container field mask allows both
    // fields without a feature flag (pkg/apis/serving/fieldmask.go:621-645).
    container.securityContext = { runAsNonRoot: true, runAsUser: NODE_IMAGE_UID };
  }
  // protocol as the CRD defaults it: a field the server fills in would make every apply a change.
  container.ports = [{ name: 'http1', containerPort: fn.port, protocol: 'TCP' }];
  container.env = runtimeEnv(fn);
  if (fn.envFrom.length > 0) container.envFrom = fn.envFrom;
  const res = resources(fn);
  if (res) container.resources = res;

  for (const secret of fn.secrets) {
    const name = volumeName('secret', secret);
    volumes.push({ name, secret: { secretName: secret } });
    volumeMounts.push({ name, mountPath: `/${secret}`, readOnly: true });
  }
  for (const configMap of fn.configMaps) {
    const name = volumeName('configmap', configMap);
    volumes.push({ name, configMap: { name: configMap } });
    volumeMounts.push({ name, mountPath: `/${configMap}`, readOnly: true });
  }
  volumes.push(...fn.volumes);
  volumeMounts.push(...fn.volumeMounts);
  if (volumeMounts.length > 0) container.volumeMounts = volumeMounts;

  // No port: Knative probes the user port through the queue-proxy.
  container.readinessProbe = {
    httpGet: { path: '/health/readiness' },
    periodSeconds: 2,
    failureThreshold: 3,
  };
  container.livenessProbe = {
    httpGet: { path: '/health/liveness' },
    periodSeconds: 10,
    failureThreshold: 3,
  };

  const podSpec: Record<string, unknown> = { containers: [container], timeoutSeconds: fn.timeout };
  if (fn.concurrency !== undefined) podSpec.containerConcurrency = fn.concurrency;
  if (volumes.length > 0) podSpec.volumes = volumes;
  if (fn.serviceAccountName) podSpec.serviceAccountName = fn.serviceAccountName;
  if (fn.imagePullSecrets.length > 0)
    podSpec.imagePullSecrets = fn.imagePullSecrets.map((name) => ({ name }));
  // Need Knative's kubernetes.podspec-{affinity,tolerations,nodeselector} features (docs/knative.md).
  if (fn.affinity) podSpec.affinity = fn.affinity;
  if (fn.tolerations.length > 0) podSpec.tolerations = fn.tolerations;
  if (Object.keys(fn.nodeSelector).length > 0) podSpec.nodeSelector = fn.nodeSelector;

  // Knative accepts autoscaling annotations only on the revision template.
  const serviceAnnotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(fn.annotations)) {
    if (!key.startsWith(AUTOSCALING_PREFIX)) serviceAnnotations[key] = value;
  }
  if (fn.description) serviceAnnotations[DESCRIPTION_ANNOTATION] = fn.description;
  const templateAnnotations = { ...fn.annotations, ...autoscalingAnnotations(fn) };

  const templateMetadata: Record<string, unknown> = { labels };
  if (Object.keys(templateAnnotations).length > 0)
    templateMetadata.annotations = templateAnnotations;
  const name = revisionName(fn, { metadata: templateMetadata, spec: podSpec });
  const template = { metadata: { name, ...templateMetadata }, spec: podSpec };

  const serviceLabels = { ...labels };
  if (fn.visibility === 'cluster-local') serviceLabels[VISIBILITY_LABEL] = 'cluster-local';
  const metadata: KubeObject['metadata'] = {
    name: fn.name,
    namespace: fn.namespace,
    labels: serviceLabels,
  };
  if (Object.keys(serviceAnnotations).length > 0) metadata.annotations = serviceAnnotations;
  const spec: Record<string, unknown> = { template };
  const traffic = renderTraffic(fn);
  if (traffic) spec.traffic = traffic;

  objects.push({ apiVersion: KSERVICE.apiVersion, kind: KSERVICE.kind, metadata, spec });
  return objects;
}

function eventObject(
  model: ServiceModel,
  fn: FunctionModel,
  event: FunctionEvent,
): KubeObject | undefined {
  const metadata = {
    name: event.name,
    namespace: fn.namespace,
    labels: functionLabels(model, fn),
  };
  switch (event.kind) {
    case 'http':
      if (!event.customDomain) return undefined; // the Service's own route URL serves it
      return {
        apiVersion: DOMAIN_MAPPING.apiVersion,
        kind: DOMAIN_MAPPING.kind,
        // A DomainMapping is named by the domain it maps.
        metadata: { ...metadata, name: event.customDomain },
        spec: {
          ref: {
            apiVersion: KSERVICE.apiVersion,
            kind: KSERVICE.kind,
            name: fn.name,
            namespace: fn.namespace,
          },
        },
      };
    case 'schedule': {
      const spec: Record<string, unknown> = { schedule: event.cron };
      if (event.timezone) spec.timezone = event.timezone;
      if (event.payload !== undefined) Object.assign(spec, pingSourceData(event.payload));
      spec.sink = serviceRef(fn);
      return { apiVersion: PING_SOURCE.apiVersion, kind: PING_SOURCE.kind, metadata, spec };
    }
    case 'cloudEvent':
      return {
        apiVersion: TRIGGER.apiVersion,
        kind: TRIGGER.kind,
        metadata,
        spec: {
          broker: event.broker,
          ...(Object.keys(event.filter).length > 0 ? { filter: { attributes: event.filter } } : {}),
          subscriber: serviceRef(fn),
        },
      };
    case 'kafkaSource':
      return {
        apiVersion: KAFKA_SOURCE.apiVersion,
        kind: KAFKA_SOURCE.kind,
        metadata,
        spec: {
          bootstrapServers: event.bootstrapServers,
          topics: event.topics,
          ...(event.consumerGroup ? { consumerGroup: event.consumerGroup } : {}),
          sink: serviceRef(fn),
        },
      };
    case 'queue':
      throw new UserError(
        `functions.${fn.key}.events (${event.name}): \`${event.queue}\` triggers are Kubeless-only. On Knative use ` +
          '`kafka: {bootstrapServers, topics, consumerGroup?}` (a KafkaSource) or `cloudEvent: {broker, filter}` (a Trigger).',
      );
  }
}

function renderFunction(
  model: ServiceModel,
  fn: FunctionModel,
  artifact: FunctionArtifact | undefined,
  runtime: Buffer | undefined,
): RenderedFunction {
  const objects = renderService(model, fn, artifact, runtime);
  const brokers: RenderedFunction['brokers'] = [];
  for (const event of fn.events) {
    const object = eventObject(model, fn, event);
    if (object) objects.push(object);
    if (event.kind === 'cloudEvent' && model.createBroker)
      brokers.push({ namespace: fn.namespace, name: event.broker });
  }
  return { objects, brokers };
}

/**
 * All objects for the functions (all, or `only` for `deploy function`): per function its code
 * ConfigMap, Knative Service and event objects, plus one Broker per distinct broker when
 * `createBroker` is set. `runtime` is the bundled runtime (runtime.js); it may be undefined when
 * every function uses a prebuilt `image:`.
 */
export function renderKnative(
  model: ServiceModel,
  artifacts: Map<string, FunctionArtifact>,
  runtime: Buffer | undefined,
  only?: FunctionModel[],
): KubeObject[] {
  const functions = only ?? model.functions;
  const objects: KubeObject[] = [];
  const brokers = new Map<string, KubeObject>();
  for (const fn of functions) {
    const rendered = renderFunction(model, fn, artifacts.get(fn.key), runtime);
    objects.push(...rendered.objects);
    for (const { namespace, name } of rendered.brokers) {
      const key = `${namespace}/${name}`;
      if (brokers.has(key)) continue;
      brokers.set(key, {
        apiVersion: BROKER.apiVersion,
        kind: BROKER.kind,
        metadata: { name, namespace, labels: { ...model.commonLabels } },
      });
    }
  }
  // Brokers first: Triggers name them.
  return [...brokers.values(), ...objects];
}
