// JSON schemas for `serverless.configSchemaHandler.defineProvider(name, …)`, so the framework
// reports unknown and mistyped keys. Both providers accept the same shape (one serverless.yml,
// two adapters); keys that only one platform supports are rejected by normalize() with an
// explanation, which a schema could only word as "must NOT have additional properties".
// Kubernetes pass-through objects (affinity, tolerations, volumes, valueFrom) stay open: the API
// server validates them.

type Schema = Record<string, unknown>;

const string: Schema = { type: 'string' };
const boolean: Schema = { type: 'boolean' };
const openObject: Schema = { type: 'object' };
const stringMap: Schema = {
  type: 'object',
  additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
};
const strict = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
  additionalProperties: false,
});
/** Numbers, or strings (values from ${env:…} variables arrive as strings). */
const numberOrString: Schema = { anyOf: [{ type: 'number' }, { type: 'string' }] };
const integerOrString: Schema = {
  anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\d+$' }],
};

const secretOrConfigMapRef: Schema = {
  anyOf: [string, strict({ name: string, optional: boolean }, ['name'])],
};

const environment: Schema = {
  anyOf: [
    {
      type: 'object',
      additionalProperties: {
        anyOf: [
          { type: 'string' },
          { type: 'number' },
          { type: 'boolean' },
          { type: 'null' },
          strict({ valueFrom: openObject }, ['valueFrom']),
        ],
      },
    },
    {
      type: 'array',
      items: strict(
        {
          name: string,
          value: { anyOf: [string, { type: 'number' }, boolean] },
          valueFrom: openObject,
        },
        ['name'],
      ),
    },
  ],
};

const envFrom: Schema = {
  type: 'array',
  items: strict({
    prefix: string,
    secretRef: secretOrConfigMapRef,
    configMapRef: secretOrConfigMapRef,
  }),
};

const nameList: Schema = {
  type: 'array',
  items: { anyOf: [string, strict({ name: string }, ['name'])] },
};

/** Keys a function and the provider share (the provider value is the default). */
const functionDefaults: Record<string, Schema> = {
  runtime: string,
  image: string,
  memorySize: numberOrString,
  cpu: numberOrString,
  timeout: integerOrString,
  environment,
  envFrom,
  labels: stringMap,
  annotations: stringMap,
  affinity: openObject,
  tolerations: { type: 'array', items: openObject },
  nodeSelector: stringMap,
  serviceAccountName: string,
  imagePullSecrets: nameList,
  externalDependencies: boolean,
};

const providerProperties: Record<string, Schema> = {
  ...functionDefaults,
  stage: string,
  namespace: string,
  /** kubeconfig context. */
  context: string,
  // Kubeless (serverless-kubeless compatible).
  hostname: string,
  defaultDNSResolution: string,
  ingress: strict({
    class: string,
    additionalAnnotations: stringMap,
    basicAuthSecretName: string,
    cors: boolean,
    enableTlsAcme: boolean,
    tlsSecretName: string,
    // Older serverless-kubeless spellings, still found in its docs and examples.
    hostname: string,
    tls: boolean,
    tlsConfig: {
      type: 'array',
      items: strict({ hosts: { type: 'array', items: string }, secretName: string }),
    },
  }),
  // Knative.
  nodeImage: string,
  createBroker: boolean,
  allowZeroInitialScale: boolean,
};

const functionProperties: Record<string, Schema> = {
  ...functionDefaults,
  handler: string,
  description: string,
  namespace: string,
  port: integerOrString,
  servicePort: integerOrString,
  secrets: nameList,
  configMaps: nameList,
  volumes: { type: 'array', items: openObject },
  volumeMounts: { type: 'array', items: openObject },
  replicas: integerOrString,
  // Kubeless takes minReplicas/maxReplicas/cpuTargetPercent, Knative the rest.
  autoscaling: strict({
    minReplicas: integerOrString,
    maxReplicas: integerOrString,
    cpuTargetPercent: integerOrString,
    minScale: integerOrString,
    maxScale: integerOrString,
    initialScale: integerOrString,
    target: integerOrString,
    metric: { enum: ['concurrency', 'rps', 'cpu', 'memory'] },
    class: string,
    window: string,
    scaleDownDelay: string,
  }),
  concurrency: integerOrString,
  traffic: {
    type: 'array',
    items: strict(
      { revision: string, latestRevision: boolean, percent: integerOrString, tag: string },
      ['percent'],
    ),
  },
  visibility: { enum: ['cluster-local', 'public'] },
  build: { enum: ['docker'] },
};

const eventName = { name: string };

const functionEvents: Record<string, Schema> = {
  http: {
    anyOf: [
      string,
      { type: 'null' },
      strict({
        ...eventName,
        path: string,
        method: string,
        hostname: string,
        tls: boolean,
        tlsSecretName: string,
        cors: boolean,
        basicAuthSecret: string,
        customDomain: string,
      }),
    ],
  },
  schedule: {
    anyOf: [
      string,
      strict({ ...eventName, cron: string, rate: string, payload: {}, data: {}, timezone: string }),
    ],
  },
  trigger: {
    anyOf: [
      string,
      strict({ ...eventName, queue: { enum: ['kafka', 'nats', 'Kafka', 'NATS'] }, topic: string }, [
        'topic',
      ]),
    ],
  },
  kafka: {
    anyOf: [
      string,
      strict({
        ...eventName,
        topic: string,
        bootstrapServers: { anyOf: [string, { type: 'array', items: string }] },
        topics: { anyOf: [string, { type: 'array', items: string }] },
        consumerGroup: string,
      }),
    ],
  },
  nats: { anyOf: [string, strict({ ...eventName, topic: string }, ['topic'])] },
  cloudEvent: {
    anyOf: [
      { type: 'null' },
      strict({ ...eventName, broker: string, filter: strict({ attributes: stringMap }) }),
    ],
  },
};

export type ProviderSchema = {
  provider: { properties: Record<string, Schema> };
  function: { properties: Record<string, Schema> };
  functionEvents: Record<string, Schema>;
};

/** The argument of `configSchemaHandler.defineProvider(name, …)`. */
export function providerSchema(name: 'kubeless' | 'knative'): ProviderSchema {
  // The same shape for both: normalize() explains provider-specific keys (see header). `name` is
  // taken as a parameter so a future divergence stays local to this module.
  void name;
  return structuredClone({
    provider: { properties: providerProperties },
    function: { properties: functionProperties },
    functionEvents,
  });
}
