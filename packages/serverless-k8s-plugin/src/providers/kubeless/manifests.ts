// ServiceModel + artifacts → kubeless.io/v1beta1 objects (Kubeless 1.0.8 field names). Pure: the
// same input always renders the same objects, which golden tests pin down.
import type { KubeObject } from '../../cluster/types.js';
import {
  LABELS,
  type FunctionEvent,
  type FunctionModel,
  type ServiceModel,
} from '../../model/types.js';
import type { FunctionArtifact } from '../../packaging/types.js';
import { mountVolumeName } from '../../model/names.js';
import type { RenderTarget } from '../types.js';

export const KUBELESS_API_VERSION = 'kubeless.io/v1beta1';
/** Name of the Service port, as `kubeless function deploy` names it. */
export const KUBELESS_PORT_NAME = 'http-function-port';
/** The HPA's CPU target when autoscaling names none: Kubernetes' own default for HPAs. */
export const DEFAULT_CPU_TARGET_PERCENT = 80;
/**
 * Pod-template annotation naming the runtime: the controller's functionObjChanged
 * (function_controller.go:440-469) ignores spec.runtime, so a runtime change alone would never
 * roll out; a changed template does.
 */
export const RUNTIME_ANNOTATION = 'serverless-k8s.io/runtime';
/**
 * A label only the function's own pods carry (it is on the pod template, not on the Function):
 * the cronjob-trigger gives its Jobs' pods the Function's labels (kubelessutil.go:76-101), which
 * would put a schedule's curl pod behind the function's Service and fail the run it makes.
 * The controller creates the Service with spec.service's selector as written (kubelessutil.go:274).
 */
export const FUNCTION_POD_LABEL = 'serverless-k8s.io/function-pod';
/** Kubeless's http-trigger controller default gateway (ingress class). */
export const DEFAULT_INGRESS_CLASS = 'nginx';

/** What the Kubeless controllers select on, plus this plugin's ownership labels. */
export function kubelessLabels(model: ServiceModel, fn: FunctionModel): Record<string, string> {
  return {
    ...fn.labels,
    ...model.commonLabels,
    [LABELS.function]: fn.name,
    'created-by': 'kubeless',
    function: fn.name,
  };
}

/** The Kubeless handler: `<module>.<export>`, module = bundled file name without extension. */
export function kubelessHandler(fn: FunctionModel, artifact: FunctionArtifact): string {
  const moduleName = artifact.moduleFileName.replace(/\.[^.]+$/, '');
  return `${moduleName}.${fn.handler?.exportName ?? 'handler'}`;
}

/**
 * Host of an http event without hostname, as Kubeless's CLI makes it: `<function>.<API server
 * host>.nip.io` (pkg/utils/k8sutil.go:273-280 GetLocalHostname), a wildcard DNS name that
 * resolves to the cluster's address where an ingress controller listens.
 */
export function defaultHostname(
  model: ServiceModel,
  fn: FunctionModel,
  target: RenderTarget,
): string | undefined {
  if (!target.apiServerHost) {
    target.warn?.(
      `functions.${fn.key}: no kubeconfig to take the API server's host from, so its HTTPTrigger has no host and its Ingress matches every host. ` +
        `Kubeless's default is ${fn.name}.<API server host>.${model.defaultDNSResolution ?? 'nip.io'}; set provider.hostname (or hostname: on the event) to choose one.`,
    );
    return undefined;
  }
  return `${fn.name}.${target.apiServerHost}.${model.defaultDNSResolution ?? 'nip.io'}`;
}

/**
 * The cronjob-trigger names its CronJob `trigger-<function>` (kubelessutil.go:62) but deletes the
 * CronJob named like the trigger (cronjob_trigger_controller.go:222), and its ownerReference kind
 * `Trigger` lets no garbage collector clean up: only a trigger named `trigger-<function>` has its
 * CronJob removed with it. (One schedule per function: rules.ts.)
 */
export function cronJobTriggerName(fn: Pick<FunctionModel, 'name'>): string {
  return `trigger-${fn.name}`;
}

export function renderKubeless(
  model: ServiceModel,
  artifacts: Map<string, FunctionArtifact>,
  only?: FunctionModel[],
  target: RenderTarget = {},
): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const fn of only ?? model.functions) {
    const artifact = artifacts.get(fn.key);
    if (!artifact)
      throw new Error(`renderKubeless: no artifact for function ${fn.key} (package it first)`);
    objects.push(renderFunction(model, fn, artifact));
    for (const event of fn.events) objects.push(renderTrigger(model, fn, event, target));
  }
  return objects;
}

function metadata(
  model: ServiceModel,
  fn: FunctionModel,
  name: string,
  annotations?: Record<string, string>,
): KubeObject['metadata'] {
  const meta: KubeObject['metadata'] = {
    name,
    namespace: fn.namespace,
    labels: kubelessLabels(model, fn),
  };
  if (annotations && Object.keys(annotations).length > 0) meta.annotations = annotations;
  return meta;
}

function functionAnnotations(fn: FunctionModel): Record<string, string> {
  const annotations = { ...fn.annotations };
  if (fn.description !== undefined) annotations['serverless-k8s.io/description'] = fn.description;
  return annotations;
}

function renderFunction(
  model: ServiceModel,
  fn: FunctionModel,
  artifact: FunctionArtifact,
): KubeObject {
  const labels = kubelessLabels(model, fn);
  const port = fn.port;
  const spec: Record<string, unknown> = {
    handler: kubelessHandler(fn, artifact),
    runtime: fn.runtime,
    timeout: String(fn.timeout),
    deps: artifact.deps,
    'function-content-type': 'base64+zip',
    function: artifact.zip.toString('base64'),
    checksum: artifact.checksum,
    deployment: renderDeployment(fn, labels),
    service: {
      ports: [
        {
          name: KUBELESS_PORT_NAME,
          port: fn.servicePort ?? port,
          protocol: 'TCP',
          targetPort: port,
        },
      ],
      selector: { 'created-by': 'kubeless', function: fn.name, [FUNCTION_POD_LABEL]: 'true' },
      type: 'ClusterIP',
    },
  };
  if (fn.autoscaling) {
    const { minReplicas, maxReplicas, cpuTargetPercent } = fn.autoscaling;
    // Kubeless 1.0.8 decodes this into autoscaling/v2beta1 types (targetAverageUtilization).
    spec.horizontalPodAutoscaler = {
      apiVersion: 'autoscaling/v2beta1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: fn.name, namespace: fn.namespace, labels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: fn.name },
        minReplicas,
        maxReplicas,
        // function_controller.go:362 reads Metrics[0]: an HPA without metrics panics the
        // controller (re-raised by HandleCrash), so a CPU target is always written.
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              targetAverageUtilization: cpuTargetPercent ?? DEFAULT_CPU_TARGET_PERCENT,
            },
          },
        ],
      },
    };
  }
  return {
    apiVersion: KUBELESS_API_VERSION,
    kind: 'Function',
    metadata: metadata(model, fn, fn.name, functionAnnotations(fn)),
    spec,
  };
}

/**
 * The Deployment template the Kubeless controller merges into the Deployment it creates. The
 * controller adds the runtime image, FUNC_* variables and the code volume itself.
 */
function renderDeployment(
  fn: FunctionModel,
  labels: Record<string, string>,
): Record<string, unknown> {
  // `resources` always: the controller writes the Function back through its Go types
  // (function_controller.go:238-239), which serialize an empty ResourceRequirements as {}; the
  // same value keeps a redeploy from changing, or conflicting on, the containers list.
  const container: Record<string, unknown> = { name: fn.name, resources: {} };
  if (fn.image !== undefined) container.image = fn.image;
  if (fn.environment.length > 0) container.env = fn.environment;
  if (fn.envFrom.length > 0) container.envFrom = fn.envFrom;
  const resources: Record<string, string> = {};
  if (fn.memorySize !== undefined) resources.memory = fn.memorySize;
  if (fn.cpu !== undefined) resources.cpu = fn.cpu;
  if (Object.keys(resources).length > 0)
    container.resources = { limits: resources, requests: { ...resources } };

  const volumes: Record<string, unknown>[] = [];
  const volumeMounts: Record<string, unknown>[] = [];
  for (const secret of fn.secrets) {
    volumes.push({ name: mountVolumeName(secret), secret: { secretName: secret } });
    volumeMounts.push({ name: mountVolumeName(secret), mountPath: `/${secret}` });
  }
  for (const configMap of fn.configMaps) {
    volumes.push({ name: mountVolumeName(configMap), configMap: { name: configMap } });
    volumeMounts.push({ name: mountVolumeName(configMap), mountPath: `/${configMap}` });
  }
  volumes.push(...fn.volumes);
  volumeMounts.push(...fn.volumeMounts);
  if (volumeMounts.length > 0) container.volumeMounts = volumeMounts;

  const podSpec: Record<string, unknown> = { containers: [container] };
  if (volumes.length > 0) podSpec.volumes = volumes;
  if (fn.affinity !== undefined) podSpec.affinity = fn.affinity;
  if (fn.tolerations.length > 0) podSpec.tolerations = fn.tolerations;
  if (Object.keys(fn.nodeSelector).length > 0) podSpec.nodeSelector = fn.nodeSelector;
  if (fn.serviceAccountName !== undefined) podSpec.serviceAccountName = fn.serviceAccountName;
  if (fn.imagePullSecrets.length > 0)
    podSpec.imagePullSecrets = fn.imagePullSecrets.map((name) => ({ name }));

  const podMetadata: Record<string, unknown> = {
    labels: { ...labels, [FUNCTION_POD_LABEL]: 'true' },
    annotations: { ...fn.annotations, [RUNTIME_ANNOTATION]: fn.runtime },
  };
  const deploymentSpec: Record<string, unknown> = {};
  if (fn.replicas !== undefined) deploymentSpec.replicas = fn.replicas;
  deploymentSpec.template = { metadata: podMetadata, spec: podSpec };
  // An update copies only spec.deployment's annotations to the Deployment (kubelessutil.go:778);
  // the Function's own reach it once, at creation (kubelessutil.go:647).
  const annotations = functionAnnotations(fn);
  if (Object.keys(annotations).length > 0)
    return { metadata: { annotations }, spec: deploymentSpec };
  // The controller copies the Function's labels onto the Deployment; the pod template needs them
  // for the Service selector and `logs`.
  return { spec: deploymentSpec };
}

function renderTrigger(
  model: ServiceModel,
  fn: FunctionModel,
  event: FunctionEvent,
  target: RenderTarget,
): KubeObject {
  switch (event.kind) {
    case 'http': {
      const host = event.hostname ?? model.hostname ?? defaultHostname(model, fn, target);
      const spec: Record<string, unknown> = {
        'function-name': fn.name,
        ...(host !== undefined ? { 'host-name': host } : {}),
        // Kubeless prefixes the ingress path with '/' itself.
        path: event.path.replace(/^\/+/, ''),
        gateway: model.ingress.class ?? DEFAULT_INGRESS_CLASS,
        tls: event.tls ?? false,
        'cors-enable': event.cors ?? false,
      };
      if (event.tlsSecretName !== undefined) spec['tls-secret'] = event.tlsSecretName;
      if (event.basicAuthSecret !== undefined) spec['basic-auth-secret'] = event.basicAuthSecret;
      return {
        apiVersion: KUBELESS_API_VERSION,
        kind: 'HTTPTrigger',
        metadata: metadata(model, fn, event.name, model.ingress.additionalAnnotations),
        spec,
      };
    }
    case 'schedule': {
      const spec: Record<string, unknown> = { schedule: event.cron, 'function-name': fn.name };
      if (event.payload !== undefined) spec.payload = event.payload;
      return {
        apiVersion: KUBELESS_API_VERSION,
        kind: 'CronJobTrigger',
        metadata: metadata(model, fn, cronJobTriggerName(fn)),
        spec,
      };
    }
    case 'queue':
      return {
        apiVersion: KUBELESS_API_VERSION,
        kind: event.queue === 'kafka' ? 'KafkaTrigger' : 'NATSTrigger',
        metadata: metadata(model, fn, event.name),
        spec: {
          functionSelector: { matchLabels: { 'created-by': 'kubeless', function: fn.name } },
          topic: event.topic,
        },
      };
    default:
      // normalize() rejects knative events for provider kubeless.
      throw new Error(`renderKubeless: ${event.kind} events are not supported by Kubeless`);
  }
}
