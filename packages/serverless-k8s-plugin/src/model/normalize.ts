// serverless.yml (as the framework resolved it) → ServiceModel. Pure apart from reading handler
// sources to check that they exist and export the handler. Every problem is collected and
// reported at once, naming the key path and the fix.
import {
  LABELS,
  MANAGER,
  type EnvFromSource,
  type EnvVar,
  type FunctionModel,
  type IngressOptions,
  type ProviderName,
  type ServiceModel,
} from './types.js';
import { Problems } from './problems.js';
import {
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  labelKeyProblem,
  labelValueProblem,
  mountVolumeName,
} from './names.js';
import { cpuQuantity, memoryQuantity } from './quantities.js';
import { FOREIGN_RUNTIMES, resolveHandler, runtimeFamily } from './handler.js';
import {
  Reader,
  checkHostname,
  checkName,
  describe,
  isObject,
  objectList,
  type Obj,
} from './reader.js';
import { knativeAutoscaling, kubelessAutoscaling, traffic } from './scaling.js';
import { nameEvents, normalizeEvent } from './events.js';

export { DEFAULT_BROKER } from './events.js';

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
/**
 * Runtime when none is written: Kubeless 1.0.8's newest Node runtime (what a stock
 * kubeless-config lists); on Knative the runtime only names the Node major the bundle targets.
 */
export const DEFAULT_RUNTIME: Record<ProviderName, string> = {
  kubeless: 'nodejs14',
  knative: 'nodejs20',
};
/**
 * Kubeless: DEFAULT_RUNTIME. Knative: the Node.js major of the image that runs the code
 * (node:24-alpine → nodejs24), so FUNC_RUNTIME and the bundle's target match what runs.
 */
function defaultRuntime(model: ServiceModel): string {
  if (model.provider === 'kubeless') return DEFAULT_RUNTIME.kubeless;
  const major = /^(?:.*\/)?node:(\d+)/.exec(model.nodeImage)?.[1];
  return major ? `nodejs${major}` : DEFAULT_RUNTIME.knative;
}

/** Official Node.js image in active LTS; runs the bundle and the runtime. */
export const DEFAULT_NODE_IMAGE = 'node:24-alpine';
export const DEFAULT_DNS_RESOLUTION = 'nip.io';

/** Keys only one provider understands: the other one rejects them with this explanation. */
const PROVIDER_ONLY: Record<ProviderName, { provider: string[]; function: string[] }> = {
  kubeless: {
    provider: ['hostname', 'defaultDNSResolution', 'ingress', 'externalDependencies'],
    function: ['servicePort', 'replicas', 'externalDependencies'],
  },
  knative: {
    provider: ['nodeImage', 'createBroker', 'allowZeroInitialScale'],
    function: ['concurrency', 'traffic', 'visibility', 'build'],
  },
};

/**
 * A platform's own rules on the normalized model: what its controllers or webhooks reject or
 * mishandle (providers/<platform>/rules.ts). They add problems and warnings with key paths.
 */
export type PlatformRules = (model: ServiceModel, problems: Problems) => void;

/** Node's timers hold at most 2^31-1 ms (~24.8 days); a longer timeout fires after 1 ms. */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Validates the model's view of serverless.yml and fills in defaults. */
export function normalize(input: NormalizeInput, rules?: PlatformRules): ServiceModel {
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
    if (provider[key] !== undefined)
      problems.add(`provider.${key}`, `is only supported by provider ${other}; remove it`);
  }

  checkName(problems, 'service', input.service, labelValueProblem);
  checkName(problems, 'provider.stage', input.stage, labelValueProblem);
  const namespace = read.string(provider.namespace, 'provider.namespace') ?? 'default';
  checkName(problems, 'provider.namespace', namespace, dns1123LabelProblem);

  const ingressInput = read.object(provider.ingress, 'provider.ingress') ?? {};
  // Older serverless-kubeless spellings: ingress.hostname, ingress.tls and ingress.tlsConfig.
  const legacyTls = objectList(read, ingressInput.tlsConfig, 'provider.ingress.tlsConfig');
  if (legacyTls.length > 1) {
    problems.add(
      'provider.ingress.tlsConfig',
      'lists several certificates; HTTP triggers take one: set tlsSecretName on each http event instead',
    );
  }
  const ingress: IngressOptions = {
    class: read.string(ingressInput.class, 'provider.ingress.class'),
    additionalAnnotations: read.stringMap(
      ingressInput.additionalAnnotations,
      'provider.ingress.additionalAnnotations',
    ),
    basicAuthSecretName: read.string(
      ingressInput.basicAuthSecretName,
      'provider.ingress.basicAuthSecretName',
    ),
    cors: read.boolean(ingressInput.cors, 'provider.ingress.cors'),
    enableTlsAcme:
      read.boolean(ingressInput.enableTlsAcme, 'provider.ingress.enableTlsAcme') ??
      read.boolean(ingressInput.tls, 'provider.ingress.tls'),
    tlsSecretName:
      read.string(ingressInput.tlsSecretName, 'provider.ingress.tlsSecretName') ??
      read.string(legacyTls[0]?.secretName, 'provider.ingress.tlsConfig[0].secretName'),
  };
  checkAnnotations(
    problems,
    'provider.ingress.additionalAnnotations',
    ingress.additionalAnnotations,
  );

  const model: ServiceModel = {
    provider: name,
    service: input.service,
    stage: input.stage,
    servicePath: input.servicePath,
    namespace,
    context: read.string(provider.context, 'provider.context'),
    hostname:
      read.string(provider.hostname, 'provider.hostname') ??
      read.string(ingressInput.hostname, 'provider.ingress.hostname'),
    defaultDNSResolution:
      read.string(provider.defaultDNSResolution, 'provider.defaultDNSResolution') ??
      (name === 'kubeless' ? DEFAULT_DNS_RESOLUTION : undefined),
    ingress,
    nodeImage: read.string(provider.nodeImage, 'provider.nodeImage') ?? DEFAULT_NODE_IMAGE,
    createBroker: read.boolean(provider.createBroker, 'provider.createBroker') ?? false,
    allowZeroInitialScale: read.boolean(
      provider.allowZeroInitialScale,
      'provider.allowZeroInitialScale',
    ),
    individually: input.package?.individually ?? false,
    commonLabels: {
      [LABELS.managedBy]: MANAGER,
      [LABELS.service]: input.service,
      [LABELS.stage]: input.stage,
    },
    functions: [],
    warnings: [],
  };
  if (model.hostname !== undefined) checkHostname(problems, 'provider.hostname', model.hostname);

  const keys = input.functionKeys ?? Object.keys(input.functions);
  for (const key of keys) {
    if (!(key in input.functions)) {
      problems.add(
        `functions.${key}`,
        `no such function; the functions are ${Object.keys(input.functions).join(', ') || 'none'}`,
      );
      continue;
    }
    const raw = read.object(input.functions[key], `functions.${key}`);
    if (raw) {
      const fn = normalizeFunction(read, model, provider, key, raw);
      if (fn) model.functions.push(fn);
    }
  }
  checkUnique(problems, model.functions);
  rules?.(model, problems);
  problems.throwIfAny();
  model.warnings = problems.warnings;
  return model;
}

function checkLabels(problems: Problems, path: string, labels: Record<string, string>): void {
  for (const [key, value] of Object.entries(labels)) {
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem) problems.add(`${path}.${key}`, problem);
  }
}

function checkAnnotations(
  problems: Problems,
  path: string,
  annotations: Record<string, string>,
): void {
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

  const runtime =
    read.string(raw.runtime, `${path}.runtime`) ??
    read.string(provider.runtime, 'provider.runtime') ??
    defaultRuntime(model);
  const family = runtimeFamily(runtime);
  if (family !== 'nodejs' && !FOREIGN_RUNTIMES[family]) {
    problems.add(
      raw.runtime !== undefined ? `${path}.runtime` : 'provider.runtime',
      `"${runtime}" cannot be packaged; use nodejs<version> (bundled with esbuild) or python, ruby, php, go (source copied as-is)`,
    );
  }
  if (model.provider === 'knative' && family !== 'nodejs' && raw.image === undefined) {
    problems.add(
      `${path}.runtime`,
      `provider knative runs Node.js handlers; for "${runtime}" build an image and set image:`,
    );
  }
  const image =
    read.string(raw.image, `${path}.image`) ?? read.string(provider.image, 'provider.image');

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

  const labels = {
    ...read.stringMap(provider.labels, 'provider.labels'),
    ...read.stringMap(raw.labels, `${path}.labels`),
  };
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

  const memorySize = quantity(
    read,
    raw.memorySize,
    `${path}.memorySize`,
    provider.memorySize,
    'provider.memorySize',
    memoryQuantity,
  );
  const cpu = quantity(read, raw.cpu, `${path}.cpu`, provider.cpu, 'provider.cpu', cpuQuantity);
  const timeout =
    read.integer(raw.timeout, `${path}.timeout`, 1, MAX_TIMEOUT_SECONDS) ??
    read.integer(provider.timeout, 'provider.timeout', 1, MAX_TIMEOUT_SECONDS) ??
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
    affinity:
      read.object(raw.affinity, `${path}.affinity`) ??
      read.object(provider.affinity, 'provider.affinity'),
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
  if (fn.serviceAccountName !== undefined)
    checkName(
      problems,
      `${path}.serviceAccountName`,
      fn.serviceAccountName,
      dns1123SubdomainProblem,
    );
  checkVolumeMounts(problems, path, fn);

  const autoscaling = read.object(raw.autoscaling, `${path}.autoscaling`);
  if (autoscaling) {
    if (model.provider === 'kubeless')
      fn.autoscaling = kubelessAutoscaling(read, autoscaling, `${path}.autoscaling`, fn);
    else fn.knativeAutoscaling = knativeAutoscaling(read, autoscaling, `${path}.autoscaling`);
  }
  if (fn.autoscaling && fn.replicas !== undefined) {
    problems.add(
      `${path}.replicas`,
      'conflicts with autoscaling (the autoscaler sets the replica count); remove one of them',
    );
  }
  if (raw.visibility !== undefined) {
    if (raw.visibility === 'cluster-local' || raw.visibility === 'public')
      fn.visibility = raw.visibility;
    else
      problems.add(
        `${path}.visibility`,
        `must be cluster-local or public, got ${describe(raw.visibility)}`,
      );
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
  const [input, inputPath] =
    value !== undefined && value !== null ? [value, path] : [fallback, fallbackPath];
  if (input === undefined || input === null) return undefined;
  const result = parse(input);
  if ('problem' in result) {
    read.problems.add(inputPath, result.problem);
    return undefined;
  }
  return result.value;
}

/** `environment` as a map (values become strings) or a list of EnvVars (with valueFrom). */
function normalizeEnv(read: Reader, value: unknown, path: string): EnvVar[] {
  if (value === undefined || value === null) return [];
  const vars: EnvVar[] = [];
  if (isObject(value)) {
    for (const [name, entry] of Object.entries(value)) {
      if (isObject(entry) && isObject(entry.valueFrom))
        vars.push({ name, valueFrom: { ...entry.valueFrom } });
      else if (isObject(entry) || Array.isArray(entry))
        vars.push({ name, value: JSON.stringify(entry) });
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
        vars.push({
          name: entry.name,
          value: entry.value === undefined || entry.value === null ? '' : String(entry.value),
        });
      }
    });
  } else {
    read.problems.add(path, 'must be a map (NAME: value) or a list of { name, value | valueFrom }');
  }
  // An empty value is the same as none for Kubernetes, and server-side apply on 1.20 turns "" in a
  // custom resource into null, which Knative's CRD schema rejects ("must be of type string").
  for (const envVar of vars) if (envVar.value === '') delete envVar.value;
  for (const envVar of vars) {
    // apimachinery validation.IsEnvVarName, which the API server applies to every container.
    if (!ENV_VAR_NAME.test(envVar.name) || envVar.name === '.' || envVar.name === '..') {
      read.problems.add(
        `${path}.${envVar.name}`,
        `"${envVar.name}" is not a valid environment variable name: use letters, digits, '_', '-' and '.', not starting with a digit (e.g. ${suggestEnvName(envVar.name)})`,
      );
    }
    if (envVar.valueFrom !== undefined)
      checkValueFrom(read.problems, `${path}.${envVar.name}.valueFrom`, envVar.valueFrom);
  }
  return vars;
}

function checkValueFrom(problems: Problems, path: string, valueFrom: Obj): void {
  const sources = ['secretKeyRef', 'configMapKeyRef', 'fieldRef', 'resourceFieldRef'].filter(
    (key) => valueFrom[key] !== undefined,
  );
  if (sources.length !== 1) {
    problems.add(
      path,
      'must have exactly one of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef',
    );
    return;
  }
  let ref = valueFrom[sources[0]!];
  // The serverless-kubeless docs showed secretKeyRef as a one-item list; accept what they taught.
  if (Array.isArray(ref) && ref.length === 1 && isObject(ref[0])) {
    ref = ref[0];
    valueFrom[sources[0]!] = ref;
  }
  if (
    (sources[0] === 'secretKeyRef' || sources[0] === 'configMapKeyRef') &&
    !(isObject(ref) && typeof ref.name === 'string' && typeof ref.key === 'string')
  ) {
    problems.add(`${path}.${sources[0]}`, 'needs name (of the Secret/ConfigMap) and key');
  }
}

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function suggestEnvName(name: string): string {
  const cleaned = name.replace(/[^-._a-zA-Z0-9]/g, '_');
  return /^[-._a-zA-Z]/.test(cleaned) ? cleaned || 'MY_VAR' : `_${cleaned}`;
}

/** Function variables replace provider variables of the same name in place; new ones follow. */
function mergeEnv(base: EnvVar[], override: EnvVar[]): EnvVar[] {
  const overrides = new Map(override.map((envVar) => [envVar.name, envVar]));
  const baseNames = new Set(base.map((envVar) => envVar.name));
  return [
    ...base.map((envVar) => overrides.get(envVar.name) ?? envVar),
    ...override.filter((envVar) => !baseNames.has(envVar.name)),
  ];
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
    const kinds = (['secretRef', 'configMapRef'] as const).filter(
      (kind) => item[kind] !== undefined,
    );
    if (kinds.length !== 1) {
      read.problems.add(itemPath, 'must have exactly one of secretRef or configMapRef');
      return;
    }
    const kind = kinds[0]!;
    const ref = item[kind];
    const refName = isObject(ref)
      ? read.string(ref.name, `${itemPath}.${kind}.name`)
      : read.string(ref, `${itemPath}.${kind}`);
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
    ...fn.secrets.map(mountVolumeName),
    ...fn.configMaps.map(mountVolumeName),
  ]);
  fn.volumes.forEach((volume, i) => {
    if (typeof volume.name !== 'string') problems.add(`${path}.volumes[${i}].name`, 'is required');
  });
  fn.volumeMounts.forEach((mount, i) => {
    if (typeof mount.name !== 'string' || typeof mount.mountPath !== 'string') {
      problems.add(`${path}.volumeMounts[${i}]`, 'needs name and mountPath');
    } else if (!volumeNames.has(mount.name)) {
      problems.add(
        `${path}.volumeMounts[${i}].name`,
        `"${mount.name}" is not a volume of this function; add it under volumes:`,
      );
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
    if (previous)
      problems.add(
        `functions.${fn.key}`,
        `has the same Kubernetes name "${fn.name}" as functions.${previous}; set a different name:`,
      );
    else functionNames.set(id, fn.key);
    fn.events.forEach((event) => {
      const eventId = `${fn.namespace}/${event.name}`;
      const owner = eventNames.get(eventId);
      if (owner) {
        problems.add(
          `functions.${fn.key}.events`,
          `the trigger name "${event.name}" is already used by ${owner}; give each event a unique name:`,
        );
      } else {
        eventNames.set(eventId, `functions.${fn.key}`);
      }
    });
  }
}
