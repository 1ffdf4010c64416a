// The normalized model: what serverless.yml means, independent of any platform.
// serverless.yml → normalize() → ServiceModel → (bundle) → provider.render() → manifests.
// Everything here is plain data (JSON-serializable) so golden tests can snapshot it.

export type ProviderName = 'kubeless' | 'knative';

/** A Kubernetes EnvVar as the API takes it (value or valueFrom). */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

/** A Kubernetes EnvFromSource: `{ secretRef: { name } }` or `{ configMapRef: { name } }`, optional prefix. */
export interface EnvFromSource {
  prefix?: string;
  secretRef?: { name: string; optional?: boolean };
  configMapRef?: { name: string; optional?: boolean };
}

export interface HandlerRef {
  /** As written in serverless.yml, e.g. `src/handler.hello`. */
  raw: string;
  /** Path of the source file relative to the service directory, with extension, e.g. `src/handler.ts`. */
  file: string;
  /** The export that is the handler, e.g. `hello`. */
  exportName: string;
}

export interface HttpEvent {
  kind: 'http';
  /**
   * The trigger's resource name, unique within the service: `name:` from serverless.yml, else
   * `<function>-<kind>-<n>` (e.g. `hello-http-0`).
   */
  name: string;
  path: string;
  hostname?: string;
  method?: string;
  tls?: boolean;
  /** Name of a TLS secret when tls is set (provider.ingress.tlsSecretName or per event). */
  tlsSecretName?: string;
  cors?: boolean;
  basicAuthSecret?: string;
  /** Knative only: a custom domain served through a DomainMapping. */
  customDomain?: string;
}

export interface ScheduleEvent {
  kind: 'schedule';
  name: string;
  /** Five-field cron expression. */
  cron: string;
  /** Sent as the request body (Kubeless payload, Knative PingSource data). */
  payload?: unknown;
  timezone?: string;
}

/** A message-queue trigger (Kubeless KafkaTrigger/NATSTrigger). */
export interface QueueEvent {
  kind: 'queue';
  name: string;
  queue: 'kafka' | 'nats';
  topic: string;
}

/** Knative Eventing: a Trigger on a Broker with attribute filters. */
export interface CloudEventEvent {
  kind: 'cloudEvent';
  name: string;
  broker: string;
  filter: Record<string, string>;
}

/** Knative Eventing: a KafkaSource sinking to the function. */
export interface KafkaSourceEvent {
  kind: 'kafkaSource';
  name: string;
  bootstrapServers: string[];
  topics: string[];
  consumerGroup?: string;
}

export type FunctionEvent =
  HttpEvent | ScheduleEvent | QueueEvent | CloudEventEvent | KafkaSourceEvent;

export interface KubelessAutoscaling {
  minReplicas: number;
  maxReplicas: number;
  cpuTargetPercent?: number;
}

export interface KnativeAutoscaling {
  minScale?: number;
  maxScale?: number;
  initialScale?: number;
  target?: number;
  metric?: 'concurrency' | 'rps' | 'cpu' | 'memory';
  class?: string;
  window?: string;
  scaleDownDelay?: string;
}

export interface TrafficTarget {
  /** A revision name, or latestRevision: true. Exactly one of the two. */
  revision?: string;
  latestRevision?: boolean;
  percent: number;
  tag?: string;
}

export interface FunctionModel {
  /** Key under `functions:` in serverless.yml. */
  key: string;
  /** Kubernetes name (DNS-1123 label): `name:` if given, else the key. */
  name: string;
  namespace: string;
  /** Absent only when `image` is given (Knative prebuilt image). */
  handler?: HandlerRef;
  /** Kubeless runtime id, e.g. `nodejs20`; for Knative, informational. */
  runtime: string;
  image?: string;
  description?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  environment: EnvVar[];
  envFrom: EnvFromSource[];
  /** Kubernetes quantities, e.g. `128Mi`, `500m`. Same value for request and limit. */
  memorySize?: string;
  cpu?: string;
  /** Seconds. */
  timeout: number;
  /** Container port the runtime listens on. */
  port: number;
  /** Kubeless Service port (defaults to port). */
  servicePort?: number;
  /** Secret names mounted at /<secret> (Kubeless convention) or as volumes. */
  secrets: string[];
  /** ConfigMap names mounted as volumes. */
  configMaps: string[];
  volumes: Record<string, unknown>[];
  volumeMounts: Record<string, unknown>[];
  affinity?: Record<string, unknown>;
  tolerations: Record<string, unknown>[];
  nodeSelector: Record<string, string>;
  serviceAccountName?: string;
  imagePullSecrets: string[];
  replicas?: number;
  /** Kubeless HPA. */
  autoscaling?: KubelessAutoscaling;
  /** Knative revision autoscaling. */
  knativeAutoscaling?: KnativeAutoscaling;
  /** Knative containerConcurrency. */
  concurrency?: number;
  /** Knative traffic split; absent = 100% latest. */
  traffic?: TrafficTarget[];
  /** Knative: `cluster-local` hides the route from the ingress. */
  visibility?: 'cluster-local' | 'public';
  /** Knative: `docker` builds an image instead of the ConfigMap code delivery. */
  build?: 'docker';
  /** Kubeless: keep dependencies external and send package.json as spec.deps. */
  externalDependencies: boolean;
  events: FunctionEvent[];
}

export interface IngressOptions {
  class?: string;
  additionalAnnotations: Record<string, string>;
  basicAuthSecretName?: string;
  cors?: boolean;
  enableTlsAcme?: boolean;
  tlsSecretName?: string;
}

export interface ServiceModel {
  provider: ProviderName;
  /** serverless.yml `service`. */
  service: string;
  stage: string;
  /** Absolute path of the service directory (where serverless.yml is). */
  servicePath: string;
  /** Default namespace (provider.namespace or `default`). */
  namespace: string;
  /** kubeconfig context to use (provider.context), else the current context. */
  context?: string;
  /** Kubeless: default hostname for HTTP triggers. */
  hostname?: string;
  defaultDNSResolution?: string;
  ingress: IngressOptions;
  /** Knative: image that runs the runtime with the code mounted from a ConfigMap. */
  nodeImage: string;
  /** Knative: create the Broker(s) that cloudEvent events name. */
  createBroker: boolean;
  /**
   * Knative: the cluster's config-autoscaler sets allow-zero-initial-scale, so
   * `autoscaling.initialScale: 0` is accepted.
   */
  allowZeroInitialScale?: boolean;
  /** package.individually. */
  individually: boolean;
  /** Labels on every object: managed-by, service, stage. */
  commonLabels: Record<string, string>;
  functions: FunctionModel[];
  /** What normalize found that does not stop a deploy (shown by every command). */
  warnings: string[];
}

/** Label keys used for ownership and pruning. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  service: 'serverless-k8s.io/service',
  stage: 'serverless-k8s.io/stage',
  function: 'serverless-k8s.io/function',
} as const;

export const MANAGER = 'serverless-k8s';
