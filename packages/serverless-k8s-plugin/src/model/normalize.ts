// serverless.yml (as the framework resolved it) → ServiceModel. Pure apart from reading handler
// sources to check that they exist and export the handler. Every problem is collected and
// reported at once, naming the key path and the fix.
import {
  LABELS,
  MANAGER,
  type CloudEventEvent,
  type EnvFromSource,
  type EnvVar,
  type FunctionEvent,
  type FunctionModel,
  type HttpEvent,
  type IngressOptions,
  type KafkaSourceEvent,
  type KnativeAutoscaling,
  type KubelessAutoscaling,
  type ProviderName,
  type QueueEvent,
  type ScheduleEvent,
  type ServiceModel,
  type TrafficTarget,
} from './types.js';
import { Problems } from './problems.js';
import { dns1123LabelProblem, dns1123SubdomainProblem, labelKeyProblem, labelValueProblem } from './names.js';
import { cpuQuantity, memoryQuantity } from './quantities.js';
import { cronProblem, rateToCron } from './cron.js';
import { FOREIGN_RUNTIMES, resolveHandler, runtimeFamily } from './handler.js';

export interface NormalizeInput {
  service: string;
  stage: string;
  /** Absolute path of the service directory. */
  servicePath: string;
  /** `provider:` including `name`. */
  provider: Record<string, unknown>;
  functions: Record<string, unknown>;
  package?: { individually?: boolean };
  /** Only these functions go into the model (e.g. `deploy function -f`); default all. */
  functionKeys?: string[];
}

/** Kubeless' own default (FUNC_TIMEOUT in the Kubeless runtimes). */
export const DEFAULT_TIMEOUT_SECONDS = 180;
export const DEFAULT_PORT = 8080;
export const DEFAULT_RUNTIME = 'nodejs20';
/** Official Node.js image in active LTS; runs the bundle (targeting Node 20) and the runtime. */
export const DEFAULT_NODE_IMAGE = 'node:24-alpine';
export const DEFAULT_DNS_RESOLUTION = 'nip.io';
export const DEFAULT_BROKER = 'default';

/** Keys only one provider understands: the other one rejects them with this explanation. */
const PROVIDER_ONLY: Record<ProviderName, { provider: string[]; function: string[] }> = {
  kubeless: {
    provider: ['hostname', 'defaultDNSResolution', 'ingress', 'externalDependencies'],
    function: ['servicePort', 'replicas', 'externalDependencies'],
  },
  knative: {
    provider: ['nodeImage', 'createBroker'],
    function: ['concurrency', 'traffic', 'visibility', 'build'],
  },
};

const KUBELESS_AUTOSCALING_KEYS = ['minReplicas', 'maxReplicas', 'cpuTargetPercent'];
const KNATIVE_AUTOSCALING_KEYS = [
  'minScale',
  'maxScale',
  'initialScale',
  'target',
  'metric',
  'class',
  'window',
  'scaleDownDelay',
];
const KNATIVE_CLASSES: Record<string, string> = {
  kpa: 'kpa.autoscaling.knative.dev',
  hpa: 'hpa.autoscaling.knative.dev',
  'kpa.autoscaling.knative.dev': 'kpa.autoscaling.knative.dev',
  'hpa.autoscaling.knative.dev': 'hpa.autoscaling.knative.dev',
};
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Typed reads that record a problem (and return undefined) when the type is wrong. */
class Reader {
  constructor(readonly problems: Problems) {}

  string(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    this.problems.add(path, `must be a string, got ${describe(value)}`);
    return undefined;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    this.problems.add(path, `must be true or false, got ${describe(value)}`);
    return undefined;
  }

  /** An integer in [min, max]; numeric strings are accepted (variables resolve to strings). */
  integer(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (value === undefined || value === null) return undefined;
    const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
      this.problems.add(
        path,
        `must be a whole number${max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` from ${min} to ${max}`}, got ${describe(value)}`,
      );
      return undefined;
    }
    return number;
  }

  object(value: unknown, path: string): Obj | undefined {
    if (value === undefined || value === null) return undefined;
    if (isObject(value)) return value;
    this.problems.add(path, `must be a map (key: value), got ${describe(value)}`);
    return undefined;
  }

  array(value: unknown, path: string): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value)) return value;
    this.problems.add(path, `must be a list, got ${describe(value)}`);
    return undefined;
  }

  stringMap(value: unknown, path: string): Record<string, string> {
    const object = this.object(value, path);
    const result: Record<string, string> = {};
    for (const [key, entry] of Object.entries(object ?? {})) {
      const text = typeof entry === 'object' && entry !== null ? JSON.stringify(entry) : this.string(entry, `${path}.${key}`);
      if (text !== undefined) result[key] = text;
    }
    return result;
  }

  /** A list of names, each a DNS-1123 subdomain (Secrets, ConfigMaps). */
  names(value: unknown, path: string): string[] {
    const list = this.array(value, path) ?? [];
    const names: string[] = [];
    list.forEach((item, i) => {
      const name = isObject(item) ? this.string(item.name, `${path}[${i}].name`) : this.string(item, `${path}[${i}]`);
      if (name === undefined) return;
      const problem = dns1123SubdomainProblem(name);
      if (problem) this.problems.add(`${path}[${i}]`, problem);
      else names.push(name);
    });
    return names;
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isObject(value)) return 'a map';
  return JSON.stringify(value);
}

/** Validates the model's view of serverless.yml and fills in defaults. */
export function normalize(input: NormalizeInput): ServiceModel {
  const problems = new Problems();
  const read = new Reader(problems);
  const provider = input.provider;
  const providerName = provider.name;
  if (providerName !== 'kubeless' && providerName !== 'knative') {
    problems.add('provider.name', `must be kubeless or knative, got ${describe(providerName)}`);
    problems.throwIfAny();
  }
  const name = providerName as ProviderName;
  const other: ProviderName = name === 'kubeless' ? 'knative' : 'kubeless';
  for (const key of PROVIDER_ONLY[other].provider) {
    if (provider[key] !== undefined) problems.add(`provider.${key}`, `is only supported by provider ${other}; remove it`);
  }

  checkName(problems, 'service', input.service, labelValueProblem);
  checkName(problems, 'provider.stage', input.stage, labelValueProblem);
  const namespace = read.string(provider.namespace, 'provider.namespace') ?? 'default';
  checkName(problems, 'provider.namespace', namespace, dns1123LabelProblem);

  const ingressInput = read.object(provider.ingress, 'provider.ingress') ?? {};
  // Older serverless-kubeless spellings: ingress.hostname, ingress.tls and ingress.tlsConfig.
  const legacyTls = objectList(read, ingressInput.tlsConfig, 'provider.ingress.tlsConfig');
  if (legacyTls.length > 1) {
    problems.add('provider.ingress.tlsConfig', 'lists several certificates; HTTP triggers take one: set tlsSecretName on each http event instead');
  }
  const ingress: IngressOptions = {
    class: read.string(ingressInput.class, 'provider.ingress.class'),
    additionalAnnotations: read.stringMap(ingressInput.additionalAnnotations, 'provider.ingress.additionalAnnotations'),
    basicAuthSecretName: read.string(ingressInput.basicAuthSecretName, 'provider.ingress.basicAuthSecretName'),
    cors: read.boolean(ingressInput.cors, 'provider.ingress.cors'),
    enableTlsAcme:
      read.boolean(ingressInput.enableTlsAcme, 'provider.ingress.enableTlsAcme') ??
      read.boolean(ingressInput.tls, 'provider.ingress.tls'),
    tlsSecretName:
      read.string(ingressInput.tlsSecretName, 'provider.ingress.tlsSecretName') ??
      read.string(legacyTls[0]?.secretName, 'provider.ingress.tlsConfig[0].secretName'),
  };
  checkAnnotations(problems, 'provider.ingress.additionalAnnotations', ingress.additionalAnnotations);

  const model: ServiceModel = {
    provider: name,
    service: input.service,
    stage: input.stage,
    servicePath: input.servicePath,
    namespace,
    context: read.string(provider.context, 'provider.context'),
    hostname: read.string(provider.hostname, 'provider.hostname') ?? read.string(ingressInput.hostname, 'provider.ingress.hostname'),
    defaultDNSResolution:
      read.string(provider.defaultDNSResolution, 'provider.defaultDNSResolution') ??
      (name === 'kubeless' ? DEFAULT_DNS_RESOLUTION : undefined),
    ingress,
    nodeImage: read.string(provider.nodeImage, 'provider.nodeImage') ?? DEFAULT_NODE_IMAGE,
    createBroker: read.boolean(provider.createBroker, 'provider.createBroker') ?? false,
    individually: input.package?.individually ?? false,
    commonLabels: {
      [LABELS.managedBy]: MANAGER,
      [LABELS.service]: input.service,
      [LABELS.stage]: input.stage,
    },
    functions: [],
  };
  if (model.hostname !== undefined) checkHostname(problems, 'provider.hostname', model.hostname);

  const keys = input.functionKeys ?? Object.keys(input.functions);
  for (const key of keys) {
    if (!(key in input.functions)) {
      problems.add(`functions.${key}`, `no such function; the functions are ${Object.keys(input.functions).join(', ') || 'none'}`);
      continue;
    }
    const raw = read.object(input.functions[key], `functions.${key}`);
    if (raw) {
      const fn = normalizeFunction(read, model, provider, key, raw);
      if (fn) model.functions.push(fn);
    }
  }
  checkUnique(problems, model.functions);
  problems.throwIfAny();
  return model;
}

function checkName(
  problems: Problems,
  path: string,
  value: string,
  rule: (value: string) => string | undefined,
): boolean {
  const problem = rule(value);
  if (problem) problems.add(path, problem);
  return problem === undefined;
}

function checkHostname(problems: Problems, path: string, host: string): void {
  const problem = dns1123SubdomainProblem(host.replace(/^\*\./, 'wildcard.'));
  if (problem) problems.add(path, `${problem}; write a host name such as api.example.com`);
}

function checkLabels(problems: Problems, path: string, labels: Record<string, string>): void {
  for (const [key, value] of Object.entries(labels)) {
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem) problems.add(`${path}.${key}`, problem);
  }
}

function checkAnnotations(problems: Problems, path: string, annotations: Record<string, string>): void {
  for (const key of Object.keys(annotations)) {
    const problem = labelKeyProblem(key);
    if (problem) problems.add(`${path}.${key}`, problem);
  }
}

/**
 * The framework fills `name` with `<service>-<stage>-<key>` (an AWS Lambda convention) when
 * serverless.yml has none; that default is not the user's choice, so the key names the function.
 */
function functionName(model: ServiceModel, key: string, name: string | undefined): string {
  if (name === undefined || name === `${model.service}-${model.stage}-${key}`) return key;
  return name;
}

function normalizeFunction(
  read: Reader,
  model: ServiceModel,
  provider: Obj,
  key: string,
  raw: Obj,
): FunctionModel | undefined {
  const problems = read.problems;
  const path = `functions.${key}`;
  const other: ProviderName = model.provider === 'kubeless' ? 'knative' : 'kubeless';
  for (const onlyKey of PROVIDER_ONLY[other].function) {
    if (raw[onlyKey] !== undefined) {
      problems.add(`${path}.${onlyKey}`, `is only supported by provider ${other}; remove it`);
    }
  }

  const name = functionName(model, key, read.string(raw.name, `${path}.name`));
  if (dns1123LabelProblem(name)) {
    problems.add(
      raw.name === undefined || name === key ? path : `${path}.name`,
      `${dns1123LabelProblem(name)}; the function name becomes Kubernetes object names — rename the function or set name:`,
    );
  }
  const namespace = read.string(raw.namespace, `${path}.namespace`) ?? model.namespace;
  checkName(problems, `${path}.namespace`, namespace, dns1123LabelProblem);

  const runtime = read.string(raw.runtime, `${path}.runtime`) ?? read.string(provider.runtime, 'provider.runtime') ?? DEFAULT_RUNTIME;
  const family = runtimeFamily(runtime);
  if (family !== 'nodejs' && !FOREIGN_RUNTIMES[family]) {
    problems.add(
      raw.runtime !== undefined ? `${path}.runtime` : 'provider.runtime',
      `"${runtime}" cannot be packaged; use nodejs<version> (bundled with esbuild) or python, ruby, php, go (source copied as-is)`,
    );
  }
  if (model.provider === 'knative' && family !== 'nodejs' && raw.image === undefined) {
    problems.add(`${path}.runtime`, `provider knative runs Node.js handlers; for "${runtime}" build an image and set image:`);
  }
  const image = read.string(raw.image, `${path}.image`) ?? read.string(provider.image, 'provider.image');

  const handlerRaw = read.string(raw.handler, `${path}.handler`);
  let handler: FunctionModel['handler'];
  if (handlerRaw !== undefined) {
    const resolved = resolveHandler(handlerRaw, model.servicePath, runtime);
    if ('problem' in resolved) problems.add(`${path}.handler`, resolved.problem);
    else handler = { raw: handlerRaw, ...resolved.handler };
  } else if (model.provider === 'kubeless' || image === undefined) {
    problems.add(
      `${path}.handler`,
      model.provider === 'kubeless'
        ? 'is required: write handler: <file>.<export>, e.g. handler.hello'
        : 'is required unless image: names a prebuilt image: write handler: <file>.<export>, e.g. handler.hello',
    );
  }

  const labels = { ...read.stringMap(provider.labels, 'provider.labels'), ...read.stringMap(raw.labels, `${path}.labels`) };
  checkLabels(problems, `${path}.labels`, labels);
  const annotations = {
    ...read.stringMap(provider.annotations, 'provider.annotations'),
    ...read.stringMap(raw.annotations, `${path}.annotations`),
  };
  checkAnnotations(problems, `${path}.annotations`, annotations);

  const environment = mergeEnv(
    normalizeEnv(read, provider.environment, 'provider.environment'),
    normalizeEnv(read, raw.environment, `${path}.environment`),
  );
  const envFrom = [
    ...normalizeEnvFrom(read, provider.envFrom, 'provider.envFrom'),
    ...normalizeEnvFrom(read, raw.envFrom, `${path}.envFrom`),
  ];

  const memorySize = quantity(read, raw.memorySize, `${path}.memorySize`, provider.memorySize, 'provider.memorySize', memoryQuantity);
  const cpu = quantity(read, raw.cpu, `${path}.cpu`, provider.cpu, 'provider.cpu', cpuQuantity);
  const timeout =
    read.integer(raw.timeout, `${path}.timeout`, 1) ??
    read.integer(provider.timeout, 'provider.timeout', 1) ??
    DEFAULT_TIMEOUT_SECONDS;
  const port = read.integer(raw.port, `${path}.port`, 1, 65535) ?? DEFAULT_PORT;
  const servicePort = read.integer(raw.servicePort, `${path}.servicePort`, 1, 65535);

  const fn: FunctionModel = {
    key,
    name,
    namespace,
    handler,
    runtime,
    image,
    description: read.string(raw.description, `${path}.description`),
    labels,
    annotations,
    environment,
    envFrom,
    memorySize,
    cpu,
    timeout,
    port,
    servicePort,
    secrets: read.names(raw.secrets, `${path}.secrets`),
    configMaps: read.names(raw.configMaps, `${path}.configMaps`),
    volumes: objectList(read, raw.volumes, `${path}.volumes`),
    volumeMounts: objectList(read, raw.volumeMounts, `${path}.volumeMounts`),
    affinity: read.object(raw.affinity, `${path}.affinity`) ?? read.object(provider.affinity, 'provider.affinity'),
    tolerations:
      raw.tolerations !== undefined
        ? objectList(read, raw.tolerations, `${path}.tolerations`)
        : objectList(read, provider.tolerations, 'provider.tolerations'),
    nodeSelector: {
      ...read.stringMap(provider.nodeSelector, 'provider.nodeSelector'),
      ...read.stringMap(raw.nodeSelector, `${path}.nodeSelector`),
    },
    serviceAccountName:
      read.string(raw.serviceAccountName, `${path}.serviceAccountName`) ??
      read.string(provider.serviceAccountName, 'provider.serviceAccountName'),
    imagePullSecrets:
      raw.imagePullSecrets !== undefined
        ? read.names(raw.imagePullSecrets, `${path}.imagePullSecrets`)
        : read.names(provider.imagePullSecrets, 'provider.imagePullSecrets'),
    replicas: read.integer(raw.replicas, `${path}.replicas`, 0),
    concurrency: read.integer(raw.concurrency, `${path}.concurrency`, 0),
    externalDependencies:
      read.boolean(raw.externalDependencies, `${path}.externalDependencies`) ??
      read.boolean(provider.externalDependencies, 'provider.externalDependencies') ??
      false,
    events: [],
  };
  if (fn.serviceAccountName !== undefined) checkName(problems, `${path}.serviceAccountName`, fn.serviceAccountName, dns1123SubdomainProblem);
  checkVolumeMounts(problems, path, fn);

  const autoscaling = read.object(raw.autoscaling, `${path}.autoscaling`);
  if (autoscaling) {
    if (model.provider === 'kubeless') fn.autoscaling = kubelessAutoscaling(read, autoscaling, `${path}.autoscaling`, fn);
    else fn.knativeAutoscaling = knativeAutoscaling(read, autoscaling, `${path}.autoscaling`);
  }
  if (raw.visibility !== undefined) {
    if (raw.visibility === 'cluster-local' || raw.visibility === 'public') fn.visibility = raw.visibility;
    else problems.add(`${path}.visibility`, `must be cluster-local or public, got ${describe(raw.visibility)}`);
  }
  if (raw.build !== undefined) {
    if (raw.build === 'docker') fn.build = 'docker';
    else problems.add(`${path}.build`, `must be docker, got ${describe(raw.build)}`);
  }
  if (raw.traffic !== undefined) fn.traffic = traffic(read, raw.traffic, `${path}.traffic`);

  const events = read.array(raw.events, `${path}.events`) ?? [];
  events.forEach((event, i) => {
    const normalized = normalizeEvent(read, model, event, `${path}.events[${i}]`);
    if (normalized) fn.events.push(normalized);
  });
  nameEvents(problems, fn, events, path);
  return fn;
}

function quantity(
  read: Reader,
  value: unknown,
  path: string,
  fallback: unknown,
  fallbackPath: string,
  parse: (value: unknown) => { value: string } | { problem: string },
): string | undefined {
  const [input, inputPath] = value !== undefined && value !== null ? [value, path] : [fallback, fallbackPath];
  if (input === undefined || input === null) return undefined;
  const result = parse(input);
  if ('problem' in result) {
    read.problems.add(inputPath, result.problem);
    return undefined;
  }
  return result.value;
}

function objectList(read: Reader, value: unknown, path: string): Obj[] {
  const list = read.array(value, path) ?? [];
  return list.filter((item, i): item is Obj => {
    if (isObject(item)) return true;
    read.problems.add(`${path}[${i}]`, `must be a map, got ${describe(item)}`);
    return false;
  });
}

/** `environment` as a map (values become strings) or a list of EnvVars (with valueFrom). */
function normalizeEnv(read: Reader, value: unknown, path: string): EnvVar[] {
  if (value === undefined || value === null) return [];
  const vars: EnvVar[] = [];
  if (isObject(value)) {
    for (const [name, entry] of Object.entries(value)) {
      if (isObject(entry) && isObject(entry.valueFrom)) vars.push({ name, valueFrom: { ...entry.valueFrom } });
      else if (isObject(entry) || Array.isArray(entry)) vars.push({ name, value: JSON.stringify(entry) });
      else vars.push({ name, value: entry === null ? '' : String(entry) });
    }
  } else if (Array.isArray(value)) {
    value.forEach((entry, i) => {
      const itemPath = `${path}[${i}]`;
      if (!isObject(entry) || typeof entry.name !== 'string') {
        read.problems.add(itemPath, 'must be { name, value } or { name, valueFrom }');
        return;
      }
      if (entry.valueFrom !== undefined) {
        const from = read.object(entry.valueFrom, `${itemPath}.valueFrom`);
        if (from) vars.push({ name: entry.name, valueFrom: { ...from } });
      } else {
        vars.push({ name: entry.name, value: entry.value === undefined || entry.value === null ? '' : String(entry.value) });
      }
    });
  } else {
    read.problems.add(path, 'must be a map (NAME: value) or a list of { name, value | valueFrom }');
  }
  for (const envVar of vars) {
    if (envVar.name === '' || envVar.name.includes('=')) {
      read.problems.add(`${path}.${envVar.name}`, 'is not a valid variable name (non-empty, no "=")');
    }
    if (envVar.valueFrom !== undefined) checkValueFrom(read.problems, `${path}.${envVar.name}.valueFrom`, envVar.valueFrom);
  }
  return vars;
}

function checkValueFrom(problems: Problems, path: string, valueFrom: Obj): void {
  const sources = ['secretKeyRef', 'configMapKeyRef', 'fieldRef', 'resourceFieldRef'].filter((key) => valueFrom[key] !== undefined);
  if (sources.length !== 1) {
    problems.add(path, 'must have exactly one of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef');
    return;
  }
  let ref = valueFrom[sources[0]!];
  // The serverless-kubeless docs showed secretKeyRef as a one-item list; accept what they taught.
  if (Array.isArray(ref) && ref.length === 1 && isObject(ref[0])) {
    ref = ref[0];
    valueFrom[sources[0]!] = ref;
  }
  if ((sources[0] === 'secretKeyRef' || sources[0] === 'configMapKeyRef') && !(isObject(ref) && typeof ref.name === 'string' && typeof ref.key === 'string')) {
    problems.add(`${path}.${sources[0]}`, 'needs name (of the Secret/ConfigMap) and key');
  }
}

/** Function variables override provider variables of the same name; order is kept. */
function mergeEnv(base: EnvVar[], override: EnvVar[]): EnvVar[] {
  const names = new Set(override.map((envVar) => envVar.name));
  return [...base.filter((envVar) => !names.has(envVar.name)), ...override];
}

/** envFrom items: `{ secretRef: name | {name, optional} }`, `{ configMapRef: … }`, optional prefix. */
function normalizeEnvFrom(read: Reader, value: unknown, path: string): EnvFromSource[] {
  const list = read.array(value, path) ?? [];
  const sources: EnvFromSource[] = [];
  list.forEach((item, i) => {
    const itemPath = `${path}[${i}]`;
    if (!isObject(item)) {
      read.problems.add(itemPath, 'must be { secretRef: <name> } or { configMapRef: <name> }');
      return;
    }
    const kinds = (['secretRef', 'configMapRef'] as const).filter((kind) => item[kind] !== undefined);
    if (kinds.length !== 1) {
      read.problems.add(itemPath, 'must have exactly one of secretRef or configMapRef');
      return;
    }
    const kind = kinds[0]!;
    const ref = item[kind];
    const refName = isObject(ref) ? read.string(ref.name, `${itemPath}.${kind}.name`) : read.string(ref, `${itemPath}.${kind}`);
    if (refName === undefined) return;
    if (!checkName(read.problems, `${itemPath}.${kind}`, refName, dns1123SubdomainProblem)) return;
    const source: EnvFromSource = { [kind]: { name: refName } };
    if (isObject(ref) && ref.optional !== undefined) {
      source[kind]!.optional = read.boolean(ref.optional, `${itemPath}.${kind}.optional`);
    }
    const prefix = read.string(item.prefix, `${itemPath}.prefix`);
    if (prefix !== undefined) source.prefix = prefix;
    sources.push(source);
  });
  return sources;
}

function checkVolumeMounts(problems: Problems, path: string, fn: FunctionModel): void {
  const volumeNames = new Set([
    ...fn.volumes.map((volume) => volume.name),
    ...fn.secrets.map((secret) => `${secret}-vol`),
    ...fn.configMaps.map((configMap) => `${configMap}-vol`),
  ]);
  fn.volumes.forEach((volume, i) => {
    if (typeof volume.name !== 'string') problems.add(`${path}.volumes[${i}].name`, 'is required');
  });
  fn.volumeMounts.forEach((mount, i) => {
    if (typeof mount.name !== 'string' || typeof mount.mountPath !== 'string') {
      problems.add(`${path}.volumeMounts[${i}]`, 'needs name and mountPath');
    } else if (!volumeNames.has(mount.name)) {
      problems.add(`${path}.volumeMounts[${i}].name`, `"${mount.name}" is not a volume of this function; add it under volumes:`);
    }
  });
}

function rejectKeys(read: Reader, object: Obj, keys: string[], path: string, hint: string): void {
  for (const key of keys) {
    if (object[key] !== undefined) read.problems.add(`${path}.${key}`, hint);
  }
}

function kubelessAutoscaling(read: Reader, raw: Obj, path: string, fn: FunctionModel): KubelessAutoscaling | undefined {
  rejectKeys(read, raw, KNATIVE_AUTOSCALING_KEYS, path, 'is a knative autoscaling key; kubeless takes minReplicas, maxReplicas, cpuTargetPercent');
  const minReplicas = read.integer(raw.minReplicas, `${path}.minReplicas`, 1) ?? 1;
  const maxReplicas = read.integer(raw.maxReplicas, `${path}.maxReplicas`, 1);
  const cpuTargetPercent = read.integer(raw.cpuTargetPercent, `${path}.cpuTargetPercent`, 1);
  if (maxReplicas === undefined) {
    if (raw.maxReplicas === undefined) read.problems.add(`${path}.maxReplicas`, 'is required');
    return undefined;
  }
  if (minReplicas > maxReplicas) {
    read.problems.add(`${path}`, `minReplicas (${minReplicas}) is greater than maxReplicas (${maxReplicas})`);
  }
  if (fn.cpu === undefined) {
    read.problems.add(
      `${path}`,
      `CPU-based autoscaling needs a CPU request; set functions.${fn.key}.cpu (e.g. 100m) or provider.cpu`,
    );
  }
  return cpuTargetPercent === undefined ? { minReplicas, maxReplicas } : { minReplicas, maxReplicas, cpuTargetPercent };
}

function knativeAutoscaling(read: Reader, raw: Obj, path: string): KnativeAutoscaling {
  rejectKeys(read, raw, KUBELESS_AUTOSCALING_KEYS, path, 'is a kubeless autoscaling key; knative takes minScale, maxScale, initialScale, target, metric, class, window, scaleDownDelay');
  const result: KnativeAutoscaling = {
    minScale: read.integer(raw.minScale, `${path}.minScale`, 0),
    maxScale: read.integer(raw.maxScale, `${path}.maxScale`, 0),
    initialScale: read.integer(raw.initialScale, `${path}.initialScale`, 0),
    target: read.integer(raw.target, `${path}.target`, 1),
  };
  if (raw.metric !== undefined) {
    if (raw.metric === 'concurrency' || raw.metric === 'rps' || raw.metric === 'cpu' || raw.metric === 'memory') result.metric = raw.metric;
    else read.problems.add(`${path}.metric`, `must be concurrency, rps, cpu or memory, got ${describe(raw.metric)}`);
  }
  if (raw.class !== undefined) {
    const cls = KNATIVE_CLASSES[String(raw.class)];
    if (cls) result.class = cls;
    else read.problems.add(`${path}.class`, `must be kpa or hpa (or the full kpa.autoscaling.knative.dev), got ${describe(raw.class)}`);
  }
  for (const key of ['window', 'scaleDownDelay'] as const) {
    const value = read.string(raw[key], `${path}.${key}`);
    if (value === undefined) continue;
    if (GO_DURATION.test(value)) result[key] = value;
    else read.problems.add(`${path}.${key}`, `"${value}" is not a duration; write e.g. 60s, 2m or 1h`);
  }
  if ((result.metric === 'cpu' || result.metric === 'memory') && result.class !== KNATIVE_CLASSES.hpa) {
    read.problems.add(`${path}.metric`, `${result.metric} scaling needs class: hpa (the default kpa class scales on concurrency or rps)`);
  }
  if (result.minScale !== undefined && result.maxScale !== undefined && result.maxScale > 0 && result.minScale > result.maxScale) {
    read.problems.add(`${path}`, `minScale (${result.minScale}) is greater than maxScale (${result.maxScale})`);
  }
  for (const key of Object.keys(result) as (keyof KnativeAutoscaling)[]) {
    if (result[key] === undefined) delete result[key];
  }
  return result;
}

function traffic(read: Reader, value: unknown, path: string): TrafficTarget[] | undefined {
  const list = read.array(value, path);
  if (!list) return undefined;
  if (list.length === 0) {
    read.problems.add(path, 'must list at least one target, e.g. - latestRevision: true\n      percent: 100');
    return undefined;
  }
  const targets: TrafficTarget[] = [];
  const tags = new Set<string>();
  let total = 0;
  list.forEach((item, i) => {
    const itemPath = `${path}[${i}]`;
    if (!isObject(item)) {
      read.problems.add(itemPath, 'must be { revision | latestRevision: true, percent, tag? }');
      return;
    }
    const revision = read.string(item.revision, `${itemPath}.revision`);
    const latest = read.boolean(item.latestRevision, `${itemPath}.latestRevision`);
    if ((revision !== undefined) === (latest === true)) {
      read.problems.add(itemPath, 'needs exactly one of revision: <name> or latestRevision: true');
    }
    if (revision !== undefined) checkName(read.problems, `${itemPath}.revision`, revision, dns1123LabelProblem);
    const percent = read.integer(item.percent, `${itemPath}.percent`, 0, 100);
    if (item.percent === undefined) read.problems.add(`${itemPath}.percent`, 'is required (0-100)');
    total += percent ?? 0;
    const tag = read.string(item.tag, `${itemPath}.tag`);
    if (tag !== undefined) {
      checkName(read.problems, `${itemPath}.tag`, tag, dns1123LabelProblem);
      if (tags.has(tag)) read.problems.add(`${itemPath}.tag`, `"${tag}" is used twice; tags must be unique`);
      tags.add(tag);
    }
    const target: TrafficTarget = { percent: percent ?? 0 };
    if (revision !== undefined) target.revision = revision;
    if (latest === true) target.latestRevision = true;
    if (tag !== undefined) target.tag = tag;
    targets.push(target);
  });
  if (targets.length === list.length && total !== 100) {
    read.problems.add(path, `percents add up to ${total}; they must add up to 100`);
  }
  return targets;
}

const EVENT_TYPES: Record<ProviderName, string[]> = {
  kubeless: ['http', 'schedule', 'trigger', 'kafka', 'nats'],
  knative: ['http', 'schedule', 'cloudEvent', 'kafka'],
};

function normalizeEvent(read: Reader, model: ServiceModel, event: unknown, path: string): FunctionEvent | undefined {
  const problems = read.problems;
  const keys = isObject(event) ? Object.keys(event) : [];
  if (!isObject(event) || keys.length !== 1) {
    problems.add(path, `must be one of ${EVENT_TYPES[model.provider].map((type) => `${type}: …`).join(', ')}`);
    return undefined;
  }
  const type = keys[0]!;
  const body = event[type];
  const eventPath = `${path}.${type}`;
  if (!EVENT_TYPES[model.provider].includes(type)) {
    const owner = EVENT_TYPES[model.provider === 'kubeless' ? 'knative' : 'kubeless'].includes(type) ? ` (it is a ${model.provider === 'kubeless' ? 'knative' : 'kubeless'} event)` : '';
    problems.add(eventPath, `is not supported by provider ${model.provider}${owner}; use ${EVENT_TYPES[model.provider].join(', ')}`);
    return undefined;
  }
  const userName = isObject(body) ? read.string(body.name, `${eventPath}.name`) : undefined;
  const named = <T extends FunctionEvent>(value: Omit<T, 'name'>): T => ({ ...value, name: userName ?? '' }) as T;
  switch (type) {
    case 'http':
      return httpEvent(read, model, body, eventPath, named);
    case 'schedule':
      return scheduleEvent(read, model, body, eventPath, named);
    case 'trigger':
      return queueEvent(read, body, eventPath, named, undefined);
    case 'nats':
      return queueEvent(read, body, eventPath, named, 'nats');
    case 'kafka':
      if (model.provider === 'kubeless') return queueEvent(read, body, eventPath, named, 'kafka');
      return kafkaSourceEvent(read, body, eventPath, named);
    case 'cloudEvent':
      return cloudEventEvent(read, body, eventPath, named);
    default:
      return undefined;
  }
}

type Namer = <T extends FunctionEvent>(value: Omit<T, 'name'>) => T;

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'];

function httpEvent(read: Reader, model: ServiceModel, body: unknown, path: string, named: Namer): HttpEvent | undefined {
  let raw: Obj;
  if (typeof body === 'string') {
    // `http: GET /hello` (Serverless shorthand) or `http: /hello`.
    const [first, second] = body.trim().split(/\s+/);
    raw = second !== undefined ? { method: first, path: second } : { path: first };
  } else if (body === true || body === null) {
    raw = {};
  } else if (isObject(body)) {
    raw = body;
  } else {
    read.problems.add(path, 'must be a path (e.g. /hello) or a map { path, method, hostname, … }');
    return undefined;
  }
  const event = named<HttpEvent>({ kind: 'http', path: '/' });
  const httpPath = read.string(raw.path, `${path}.path`);
  if (httpPath !== undefined) {
    event.path = httpPath.startsWith('/') ? httpPath : `/${httpPath}`;
    if (/\s/.test(event.path)) read.problems.add(`${path}.path`, `"${httpPath}" must not contain spaces`);
  }
  const method = read.string(raw.method, `${path}.method`);
  if (method !== undefined) {
    if (HTTP_METHODS.includes(method.toUpperCase())) event.method = method.toUpperCase();
    else read.problems.add(`${path}.method`, `"${method}" is not one of ${HTTP_METHODS.join(', ')}`);
  }
  const hostname = read.string(raw.hostname, `${path}.hostname`);
  if (hostname !== undefined) {
    checkHostname(read.problems, `${path}.hostname`, hostname);
    event.hostname = hostname;
  }
  if (model.provider === 'knative') {
    rejectKeys(read, raw, ['hostname', 'tls', 'tlsSecretName', 'cors', 'basicAuthSecret'], path, 'is a kubeless (ingress) option; knative routes through its own ingress — use customDomain:');
    if (event.path !== '/') read.problems.add(`${path}.path`, 'knative routes the whole host to the function; remove path: (or use /)');
    const customDomain = read.string(raw.customDomain, `${path}.customDomain`);
    if (customDomain !== undefined) {
      checkHostname(read.problems, `${path}.customDomain`, customDomain);
      event.customDomain = customDomain;
    }
    return event;
  }
  rejectKeys(read, raw, ['customDomain'], path, 'is knative-only; for kubeless set hostname:');
  const tls = read.boolean(raw.tls, `${path}.tls`) ?? model.ingress.enableTlsAcme;
  const tlsSecretName = read.string(raw.tlsSecretName, `${path}.tlsSecretName`) ?? model.ingress.tlsSecretName;
  const cors = read.boolean(raw.cors, `${path}.cors`) ?? model.ingress.cors;
  const basicAuthSecret = read.string(raw.basicAuthSecret, `${path}.basicAuthSecret`) ?? model.ingress.basicAuthSecretName;
  if (tls !== undefined) event.tls = tls;
  if (tlsSecretName !== undefined) {
    checkName(read.problems, raw.tlsSecretName !== undefined ? `${path}.tlsSecretName` : 'provider.ingress.tlsSecretName', tlsSecretName, dns1123SubdomainProblem);
    event.tlsSecretName = tlsSecretName;
  }
  if (cors !== undefined) event.cors = cors;
  if (basicAuthSecret !== undefined) {
    checkName(read.problems, raw.basicAuthSecret !== undefined ? `${path}.basicAuthSecret` : 'provider.ingress.basicAuthSecretName', basicAuthSecret, dns1123SubdomainProblem);
    event.basicAuthSecret = basicAuthSecret;
  }
  return event;
}

function scheduleEvent(read: Reader, model: ServiceModel, body: unknown, path: string, named: Namer): ScheduleEvent | undefined {
  const raw: Obj | undefined = typeof body === 'string' ? { cron: body } : read.object(body, path);
  if (!raw) return undefined;
  let cron = read.string(raw.cron, `${path}.cron`);
  const rate = read.string(raw.rate, `${path}.rate`);
  if ((cron === undefined) === (rate === undefined)) {
    read.problems.add(path, 'needs exactly one of cron: "<5 fields>" or rate: rate(<n> minutes|hours|days)');
    return undefined;
  }
  const cronPath = typeof body === 'string' ? path : `${path}.cron`;
  if (cron !== undefined && /^rate\(/i.test(cron.trim())) {
    // `schedule: rate(5 minutes)` (Serverless shorthand) is a rate, not cron.
    const converted = rateToCron(cron);
    if ('problem' in converted) read.problems.add(cronPath, converted.problem);
    else cron = converted.cron;
  } else if (rate !== undefined) {
    const converted = rateToCron(rate);
    if ('problem' in converted) read.problems.add(`${path}.rate`, converted.problem);
    else cron = converted.cron;
  } else if (cron !== undefined) {
    const problem = cronProblem(cron);
    if (problem) read.problems.add(cronPath, problem);
    cron = cron.trim();
  }
  if (raw.payload !== undefined && raw.data !== undefined) {
    read.problems.add(path, 'has both payload and data; they are the same thing — keep one');
  }
  const event = named<ScheduleEvent>({ kind: 'schedule', cron: cron ?? '' });
  const payload = raw.payload ?? raw.data;
  if (payload !== undefined) event.payload = payload;
  const timezone = read.string(raw.timezone, `${path}.timezone`);
  if (timezone !== undefined) {
    if (model.provider === 'kubeless') {
      read.problems.add(`${path}.timezone`, 'kubeless CronJobTriggers run in the controller\'s time zone (UTC); remove timezone and write the cron in UTC');
    } else if (!isTimeZone(timezone)) {
      read.problems.add(`${path}.timezone`, `"${timezone}" is not an IANA time zone; write e.g. Europe/Berlin or America/New_York`);
    } else {
      event.timezone = timezone;
    }
  }
  return event;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function queueEvent(read: Reader, body: unknown, path: string, named: Namer, queue: 'kafka' | 'nats' | undefined): QueueEvent | undefined {
  const raw: Obj | undefined = typeof body === 'string' ? { topic: body } : read.object(body, path);
  if (!raw) return undefined;
  let kind = queue;
  if (kind === undefined) {
    const written = read.string(raw.queue, `${path}.queue`)?.toLowerCase() ?? 'kafka';
    if (written === 'kafka' || written === 'nats') kind = written;
    else read.problems.add(`${path}.queue`, `must be kafka or nats, got "${written}"`);
  } else if (raw.queue !== undefined) {
    read.problems.add(`${path}.queue`, `is implied by the event type (${kind}); remove it`);
  }
  if (raw.bootstrapServers !== undefined || raw.topics !== undefined || raw.consumerGroup !== undefined) {
    read.problems.add(path, 'bootstrapServers/topics/consumerGroup are knative KafkaSource keys; kubeless takes topic: (the broker is configured in the kafka-trigger controller)');
  }
  const topic = read.string(raw.topic, `${path}.topic`);
  if (topic === undefined || topic === '') {
    read.problems.add(`${path}.topic`, 'is required: the topic (or NATS subject) that triggers the function');
    return undefined;
  }
  return kind ? named<QueueEvent>({ kind: 'queue', queue: kind, topic }) : undefined;
}

function kafkaSourceEvent(read: Reader, body: unknown, path: string, named: Namer): KafkaSourceEvent | undefined {
  const raw = read.object(body, path);
  if (!raw) return undefined;
  if (raw.topic !== undefined) {
    read.problems.add(`${path}.topic`, 'is the kubeless spelling; knative KafkaSource takes topics: [<topic>] and bootstrapServers: [<host:port>]');
  }
  const servers = stringList(read, raw.bootstrapServers, `${path}.bootstrapServers`);
  const topics = stringList(read, raw.topics, `${path}.topics`);
  if (servers.length === 0) read.problems.add(`${path}.bootstrapServers`, 'is required: a list of Kafka brokers, e.g. [my-cluster-kafka-bootstrap.kafka:9092]');
  if (topics.length === 0 && raw.topic === undefined) read.problems.add(`${path}.topics`, 'is required: a list of topics');
  const event = named<KafkaSourceEvent>({ kind: 'kafkaSource', bootstrapServers: servers, topics });
  const group = read.string(raw.consumerGroup, `${path}.consumerGroup`);
  if (group !== undefined) event.consumerGroup = group;
  return event;
}

function stringList(read: Reader, value: unknown, path: string): string[] {
  if (typeof value === 'string') return [value];
  return (read.array(value, path) ?? []).flatMap((item, i) => read.string(item, `${path}[${i}]`) ?? []);
}

function cloudEventEvent(read: Reader, body: unknown, path: string, named: Namer): CloudEventEvent | undefined {
  const raw = body === null || body === true ? {} : read.object(body, path);
  if (!raw) return undefined;
  const broker = read.string(raw.broker, `${path}.broker`) ?? DEFAULT_BROKER;
  checkName(read.problems, `${path}.broker`, broker, dns1123LabelProblem);
  const filter = read.object(raw.filter, `${path}.filter`) ?? {};
  for (const key of Object.keys(filter)) {
    if (key !== 'attributes') read.problems.add(`${path}.filter.${key}`, 'is not supported; put CloudEvent attributes under filter.attributes (e.g. type: com.example.order)');
  }
  const attributes = read.stringMap(filter.attributes, `${path}.filter.attributes`);
  return named<CloudEventEvent>({ kind: 'cloudEvent', broker, filter: attributes });
}

const KIND_TOKEN: Record<FunctionEvent['kind'], (event: FunctionEvent) => string> = {
  http: () => 'http',
  schedule: () => 'schedule',
  queue: (event) => (event as QueueEvent).queue,
  cloudEvent: () => 'cloudevent',
  kafkaSource: () => 'kafka',
};

/** Generated names are `<function>-<kind>-<n>`; user names are kept. Names must be DNS-1123 labels. */
function nameEvents(problems: Problems, fn: FunctionModel, rawEvents: unknown[], path: string): void {
  const counters = new Map<string, number>();
  fn.events.forEach((event) => {
    if (event.name !== '') return;
    const token = KIND_TOKEN[event.kind](event);
    const index = counters.get(token) ?? 0;
    counters.set(token, index + 1);
    event.name = `${fn.name}-${token}-${index}`;
  });
  fn.events.forEach((event) => {
    const problem = dns1123LabelProblem(event.name);
    if (problem) {
      const rawIndex = rawEvents.findIndex((raw) => isObject(raw) && isObject(Object.values(raw)[0]) && (Object.values(raw)[0] as Obj).name === event.name);
      problems.add(rawIndex >= 0 ? `${path}.events[${rawIndex}].name` : `${path}.events`, `${problem}; set a shorter name: on the event`);
    }
  });
}

/** Function names and event names (each a resource name) must be unique across the service. */
function checkUnique(problems: Problems, functions: FunctionModel[]): void {
  const functionNames = new Map<string, string>();
  const eventNames = new Map<string, string>();
  for (const fn of functions) {
    const id = `${fn.namespace}/${fn.name}`;
    const previous = functionNames.get(id);
    if (previous) problems.add(`functions.${fn.key}`, `has the same Kubernetes name "${fn.name}" as functions.${previous}; set a different name:`);
    else functionNames.set(id, fn.key);
    fn.events.forEach((event) => {
      const eventId = `${fn.namespace}/${event.name}`;
      const owner = eventNames.get(eventId);
      if (owner) {
        problems.add(`functions.${fn.key}.events`, `the trigger name "${event.name}" is already used by ${owner}; give each event a unique name:`);
      } else {
        eventNames.set(eventId, `functions.${fn.key}`);
      }
    });
  }
}
