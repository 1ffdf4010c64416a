// What Knative's admission webhooks reject, checked on the model so `package` names the
// serverless.yml key instead of `deploy` failing on a webhook error. Bounds are the defaults of a
// stock install (config-defaults, config-autoscaler, config-features as shipped). Citations are
// knative/serving v1.4.0 unless they name knative/eventing; docs/reference.md lists them all.
import type { PlatformRules } from '../../model/normalize.js';
import type { Problems } from '../../model/problems.js';
import { dns1123LabelProblem, mountVolumeName } from '../../model/names.js';
import { isObject } from '../../model/reader.js';
import type {
  CloudEventEvent,
  FunctionEvent,
  FunctionModel,
  ScheduleEvent,
  ServiceModel,
} from '../../model/types.js';
import { CODE_MOUNT_PATH } from './delivery.js';

/** max-revision-timeout-seconds default (pkg/apis/config/defaults.go:45). */
const MAX_REVISION_TIMEOUT_SECONDS = 600;
/** container-concurrency-max-limit default (pkg/apis/config/defaults.go:60). */
const MAX_CONTAINER_CONCURRENCY = 1000;
/** The queue-proxy's ports (pkg/apis/serving/k8s_validation.go:63-69; pkg/networking/constants.go:24-42; profiling 8008). */
const RESERVED_PORTS = [8012, 8013, 8022, 9090, 9091, 8008];
/** Compared after filepath.Clean (pkg/apis/serving/k8s_validation.go:43-50,631-635). */
const RESERVED_MOUNT_PATHS = ['/', '/dev', '/dev/log', '/tmp', '/var', '/var/log'];

const SECOND_NS = 1e9;
/** WindowMin and WindowMax (pkg/apis/autoscaling/register.go:143,146); WindowMax also bounds scale-down-delay. */
const WINDOW_MIN_NS = 6 * SECOND_NS;
const WINDOW_MAX_NS = 3600 * SECOND_NS;
/** Volume sources Knative's VolumeSourceMask keeps (pkg/apis/serving/fieldmask.go:58-81). */
const VOLUME_SOURCES = ['secret', 'configMap', 'projected', 'emptyDir', 'persistentVolumeClaim'];
/** Trigger filter attribute names (knative/eventing pkg/apis/eventing/v1/trigger_validation.go:34). */
const CLOUDEVENT_ATTRIBUTE_NAME = /^[a-z][a-z0-9]*$/;
/** The cluster domain Knative assumes when resolv.conf names none (vendor/knative.dev/pkg/network/domain.go:29-31). */
const CLUSTER_DOMAIN = 'cluster.local';
const JSON_MEDIA_TYPE = 'application/json';

/**
 * A schedule payload as PingSource `contentType` and `data`. Eventing checks data sent as
 * application/json by unmarshalling it into an object (knative/eventing
 * pkg/apis/sources/v1/ping_validation.go validateJSON), so only objects travel as JSON: a map
 * as its JSON (payloadRule rejects other non-strings), a string holding a JSON object as
 * written. Any other string is text/plain.
 */
export function pingSourceData(payload: unknown): { contentType: string; data: string } {
  if (typeof payload !== 'string')
    return { contentType: JSON_MEDIA_TYPE, data: JSON.stringify(payload) };
  return { contentType: holdsJsonObject(payload) ? JSON_MEDIA_TYPE : 'text/plain', data: payload };
}

function holdsJsonObject(text: string): boolean {
  try {
    return isObject(JSON.parse(text));
  } catch {
    return false;
  }
}

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: SECOND_NS,
  m: 60 * SECOND_NS,
  h: 3600 * SECOND_NS,
};

/** A Go duration (scaling.ts checked its syntax) in nanoseconds, fractions truncated as time.ParseDuration does. */
function durationNs(value: string): number {
  let total = 0;
  for (const [, whole, fraction = '', unit] of value.matchAll(
    /(\d+)(?:\.(\d+))?(ns|us|µs|ms|s|m|h)/g,
  )) {
    const scale = UNIT_NS[unit!]!;
    total += Number(whole) * scale + Math.trunc(Number(fraction) * (scale / 10 ** fraction.length));
  }
  return total;
}

/**
 * Whether a DNS-1123 label fails DNS-1035 (what Knative takes as a Service name) only by not
 * starting with a letter; a value that is no DNS-1123 label normalize() has reported already.
 */
function failsDns1035(value: string): boolean {
  return dns1123LabelProblem(value) === undefined && !/^[a-z]/.test(value);
}

/** A key path for an event, which the model knows by name: `functions.hello.events (nightly).payload`. */
function eventPath(fn: FunctionModel, event: FunctionEvent, rest: string): string {
  return `functions.${fn.key}.events (${event.name}).${rest}`;
}

/** Go's filepath.Clean, which Knative applies before comparing mount paths. */
function cleanPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return path.startsWith('/') ? `/${segments.join('/')}` : segments.join('/') || '.';
}

/** The warning for a field Knative admits only behind a feature flag of config-features. */
function featureNeeded(
  flag: string,
  what: string,
  value: 'enabled' | 'enabled or allowed',
): string {
  return `${what}, which Knative admits only when ${flag} is ${value} in the ConfigMap config-features (namespace knative-serving; disabled by default); otherwise its webhook rejects the Service. Enable the feature there, or remove it here`;
}

function serviceRules(fn: FunctionModel, problems: Problems): void {
  const path = `functions.${fn.key}`;
  // pkg/apis/serving/v1/revision_validation.go:170-180: rejected, not capped as Knative's docs say.
  if (fn.timeout > MAX_REVISION_TIMEOUT_SECONDS) {
    problems.add(
      `${path}.timeout`,
      `is ${fn.timeout}, above Knative's limit of ${MAX_REVISION_TIMEOUT_SECONDS} seconds (max-revision-timeout-seconds in config-defaults): the webhook rejects the Service rather than capping it. Set timeout (here or in provider) to ${MAX_REVISION_TIMEOUT_SECONDS} or less`,
    );
  }
  // pkg/apis/serving/metadata_validation.go:92-107, via revision_validation.go:114-115.
  if (fn.concurrency !== undefined && fn.concurrency > MAX_CONTAINER_CONCURRENCY) {
    problems.add(
      `${path}.concurrency`,
      `is ${fn.concurrency}, above Knative's limit of ${MAX_CONTAINER_CONCURRENCY} (container-concurrency-max-limit in config-defaults). Set concurrency to ${MAX_CONTAINER_CONCURRENCY} or less (0 means no limit)`,
    );
  }
  // pkg/apis/serving/k8s_validation.go:709-712.
  if (RESERVED_PORTS.includes(fn.port)) {
    problems.add(
      `${path}.port`,
      `is ${fn.port}, a port Knative reserves for its queue-proxy sidecar (${RESERVED_PORTS.join(', ')}). Use another port, e.g. 8080`,
    );
  }
  // vendor/knative.dev/pkg/apis/metadata_validation.go:54-62, from service_validation.go:33.
  if (failsDns1035(fn.name)) {
    problems.add(
      fn.name === fn.key ? path : `${path}.name`,
      `"${fn.name}" does not start with a letter, but Knative takes only a DNS-1035 label ([a-z]([-a-z0-9]*[a-z0-9])?) as the Service name (the function name). Rename the function or set name:, e.g. fn-${fn.name}`,
    );
  }
}

function autoscalingRules(fn: FunctionModel, model: ServiceModel, problems: Problems): void {
  const autoscaling = fn.knativeAutoscaling;
  if (!autoscaling) return;
  const path = `functions.${fn.key}.autoscaling`;
  // pkg/apis/autoscaling/annotation_validation.go:164-176 (window), :135-149 (scale-down-delay).
  const durations = [
    ['window', autoscaling.window, WINDOW_MIN_NS, '6s', 'e.g. 60s'],
    ['scaleDownDelay', autoscaling.scaleDownDelay, 0, '0s', 'e.g. 15m'],
  ] as const;
  for (const [key, value, minNs, min, example] of durations) {
    if (value === undefined) continue;
    const ns = durationNs(value);
    if (ns < minNs || ns > WINDOW_MAX_NS) {
      problems.add(
        `${path}.${key}`,
        `is ${value}, outside Knative's range for ${key} of ${min} to 1h. Write a duration in that range, ${example}`,
      );
    } else if (ns % SECOND_NS !== 0) {
      problems.add(
        `${path}.${key}`,
        `is ${value}, not a whole number of seconds; Knative takes ${key} with at most second precision. Round it, e.g. ${Math.round(ns / SECOND_NS)}s`,
      );
    }
  }
  // pkg/apis/autoscaling/annotation_validation.go:244-256; allow-zero-initial-scale is false by
  // default (pkg/autoscaler/config/config.go:62).
  if (autoscaling.initialScale === 0 && model.allowZeroInitialScale !== true) {
    problems.add(
      `${path}.initialScale`,
      'is 0, but Knative rejects an initial scale below 1 unless its ConfigMap config-autoscaler (namespace knative-serving) sets allow-zero-initial-scale: "true" (false by default). Set initialScale to 1 or more, or, if your cluster allows zero, set provider.allowZeroInitialScale: true',
    );
  }
}

interface Mount {
  path: string;
  mountPath: string;
  /** What is mounted, for the message of a later mount at the same path. */
  owner: string;
}

/** The container's mounts, in the order manifests.ts renders them. */
function mountsOf(fn: FunctionModel): Mount[] {
  const path = `functions.${fn.key}`;
  const mounts: Mount[] = [];
  // The ConfigMap code delivery (delivery.ts) is used when there is neither image: nor build: docker.
  if (!fn.image && fn.build !== 'docker')
    mounts.push({ path, mountPath: CODE_MOUNT_PATH, owner: "the function's code" });
  fn.secrets.forEach((secret, i) =>
    mounts.push({
      path: `${path}.secrets[${i}]`,
      mountPath: `/${secret}`,
      owner: `secret ${secret}`,
    }),
  );
  fn.configMaps.forEach((configMap, i) =>
    mounts.push({
      path: `${path}.configMaps[${i}]`,
      mountPath: `/${configMap}`,
      owner: `configMap ${configMap}`,
    }),
  );
  fn.volumeMounts.forEach((mount, i) => {
    if (typeof mount.mountPath === 'string')
      mounts.push({
        path: `${path}.volumeMounts[${i}].mountPath`,
        mountPath: mount.mountPath,
        owner: `volumeMounts[${i}]`,
      });
  });
  return mounts;
}

/** pkg/apis/serving/k8s_validation.go:611-662. */
function mountRules(fn: FunctionModel, problems: Problems): void {
  const seen = new Map<string, Mount>();
  for (const mount of mountsOf(fn)) {
    const clean = cleanPath(mount.mountPath);
    const first = seen.get(clean);
    if (RESERVED_MOUNT_PATHS.includes(clean)) {
      problems.add(
        mount.path,
        `mounts at ${mount.mountPath}, a path Knative reserves (${RESERVED_MOUNT_PATHS.join(', ')}). ` +
          (mount.path.endsWith('.mountPath')
            ? 'Mount it elsewhere'
            : 'Secrets and configMaps mount at /<name>: list this one under volumes and volumeMounts instead, at another path'),
      );
    } else if (!mount.mountPath.startsWith('/')) {
      problems.add(
        mount.path,
        `is ${mount.mountPath}, but Knative takes only absolute mount paths. Write it as /${clean}`,
      );
    } else if (first) {
      problems.add(
        mount.path,
        `mounts at ${mount.mountPath}, where ${first.owner} is mounted already; Knative requires unique mount paths. Mount it elsewhere`,
      );
    }
    if (!first) seen.set(clean, mount);
  }

  // normalize() lets a mount name a secret's or configMap's volume as Kubeless names it
  // (<name>-vol); manifests.ts names those volumes differently and mounts them itself.
  const userVolumes = new Set(fn.volumes.map((volume) => volume.name));
  const kubelessVolumes = new Map(
    [...fn.secrets, ...fn.configMaps].map((name) => [mountVolumeName(name), name]),
  );
  fn.volumeMounts.forEach((mount, i) => {
    if (typeof mount.name !== 'string' || userVolumes.has(mount.name)) return;
    const source = kubelessVolumes.get(mount.name);
    if (source !== undefined)
      problems.add(
        `functions.${fn.key}.volumeMounts[${i}].name`,
        `"${mount.name}" is the Kubeless name of the volume of ${source}; on Knative that volume has another name and is mounted at /${source} already, so Knative would find no volume for this mount. Remove it, or list ${source} under volumes (with its secret: or configMap: source) and mount that`,
      );
  });
}

/** pkg/apis/serving/k8s_validation.go:84-182. */
function volumeRules(fn: FunctionModel, problems: Problems): void {
  const mounted = new Set(fn.volumeMounts.map((mount) => mount.name));
  const names = new Set<string>();
  fn.volumes.forEach((volume, i) => {
    const path = `functions.${fn.key}.volumes[${i}]`;
    if (typeof volume.name !== 'string') return; // normalize() reports it
    const labelProblem = dns1123LabelProblem(volume.name);
    if (labelProblem)
      problems.add(
        `${path}.name`,
        `${labelProblem}; Knative requires volume names to be DNS-1123 labels`,
      );
    if (names.has(volume.name))
      problems.add(
        `${path}.name`,
        `"${volume.name}" names two volumes; Knative requires unique volume names. Rename one`,
      );
    names.add(volume.name);
    if (!mounted.has(volume.name))
      problems.add(
        path,
        `volume "${volume.name}" is not mounted, and Knative rejects volumes no container mounts. Add a volumeMounts entry for it, or remove it`,
      );
    volumeSourceRules(volume, path, problems);
  });
}

function volumeSourceRules(
  volume: Record<string, unknown>,
  path: string,
  problems: Problems,
): void {
  const disallowed = Object.keys(volume).filter(
    (key) => key !== 'name' && !VOLUME_SOURCES.includes(key),
  );
  for (const key of disallowed) {
    problems.add(
      `${path}.${key}`,
      `is not a volume source Knative admits; use one of ${VOLUME_SOURCES.join(', ')}`,
    );
  }
  const sources = VOLUME_SOURCES.filter((key) => volume[key] !== undefined);
  if (disallowed.length === 0 && sources.length !== 1) {
    problems.add(
      path,
      `has ${sources.length === 0 ? 'no source' : `the sources ${sources.join(', ')}`}; Knative takes exactly one of ${VOLUME_SOURCES.join(', ')}`,
    );
  }
  // k8s_validation.go:127-130: the field mask lets "allowed" through, this check needs "enabled".
  if (volume.emptyDir !== undefined)
    problems.warn(
      `${path}.emptyDir`,
      featureNeeded('kubernetes.podspec-volumes-emptydir', 'is an emptyDir volume', 'enabled'),
    );
  // k8s_validation.go:107-122.
  const claim = volume.persistentVolumeClaim;
  if (claim === undefined) return;
  problems.warn(
    `${path}.persistentVolumeClaim`,
    featureNeeded(
      'kubernetes.podspec-persistent-volume-claim',
      'is a persistentVolumeClaim volume',
      'enabled',
    ),
  );
  if (!(isObject(claim) && claim.readOnly === true))
    problems.warn(
      `${path}.persistentVolumeClaim`,
      featureNeeded(
        'kubernetes.podspec-persistent-volume-write',
        'is a writable persistentVolumeClaim volume (readOnly is not true)',
        'enabled',
      ),
    );
}

/** Fields manifests.ts passes through that Knative's field masks admit only behind a flag. */
function featureRules(fn: FunctionModel, problems: Problems): void {
  const path = `functions.${fn.key}`;
  // pkg/apis/serving/fieldmask.go:445-462 (EnvVarSourceMask), from k8s_validation.go:266-272.
  for (const envVar of fn.environment) {
    for (const ref of ['fieldRef', 'resourceFieldRef']) {
      if (envVar.valueFrom?.[ref] !== undefined)
        problems.warn(
          `${path}.environment.${envVar.name}.valueFrom.${ref}`,
          featureNeeded('kubernetes.podspec-fieldref', `uses ${ref}`, 'enabled or allowed'),
        );
    }
  }
  // pkg/apis/serving/fieldmask.go:200-217 (PodSpecMask).
  const podFields = [
    ['affinity', fn.affinity !== undefined, 'kubernetes.podspec-affinity'],
    ['tolerations', fn.tolerations.length > 0, 'kubernetes.podspec-tolerations'],
    ['nodeSelector', Object.keys(fn.nodeSelector).length > 0, 'kubernetes.podspec-nodeselector'],
  ] as const;
  for (const [key, isSet, flag] of podFields) {
    if (isSet)
      problems.warn(
        `${path}.${key}`,
        featureNeeded(flag, `sets the pod's ${key}`, 'enabled or allowed'),
      );
  }
}

function eventRules(fn: FunctionModel, problems: Problems): void {
  for (const event of fn.events) {
    if (event.kind === 'cloudEvent') filterRule(fn, event, problems);
    if (event.kind === 'http' && event.customDomain !== undefined)
      customDomainRule(fn, event.customDomain, eventPath(fn, event, 'customDomain'), problems);
    if (event.kind === 'schedule') payloadRule(fn, event, problems);
  }
}

/**
 * knative/eventing pkg/apis/eventing/v1/trigger_validation.go:34,80-84 (the CloudEvents spec's
 * rule for attribute names).
 */
function filterRule(fn: FunctionModel, event: CloudEventEvent, problems: Problems): void {
  for (const attribute of Object.keys(event.filter)) {
    if (CLOUDEVENT_ATTRIBUTE_NAME.test(attribute)) continue;
    const suggestion = attribute.toLowerCase().replace(/[^a-z0-9]/g, '');
    problems.add(
      eventPath(fn, event, `filter.attributes.${attribute}`),
      `"${attribute}" is not a CloudEvent attribute name: Knative's Trigger takes only names matching ^[a-z][a-z0-9]*$ (lower-case letters and digits, starting with a letter)` +
        (CLOUDEVENT_ATTRIBUTE_NAME.test(suggestion) ? `. Did you mean ${suggestion}?` : ''),
    );
  }
}

/** pkg/apis/serving/v1beta1/domainmapping_validation.go:47-57: the DomainMapping is named by the domain. */
function customDomainRule(
  fn: FunctionModel,
  domain: string,
  path: string,
  problems: Problems,
): void {
  let problem: string | undefined;
  if (domain.startsWith('*.')) problem = 'is a wildcard, but a DomainMapping maps one host';
  else if (!domain.includes('.'))
    problem =
      'has one segment, but a DomainMapping needs a fully qualified domain name (at least two segments separated by dots)';
  else if (domain.endsWith(`.${CLUSTER_DOMAIN}`))
    problem = `is a subdomain of the cluster-local domain ${CLUSTER_DOMAIN}, which Knative does not map (visibility: cluster-local gives an in-cluster route)`;
  if (problem)
    problems.add(path, `"${domain}" ${problem}. Write a public host, e.g. ${fn.name}.example.com`);
}

/**
 * knative/eventing pkg/apis/sources/v1/ping_validation.go (validateJSON, see pingSourceData):
 * JSON null unmarshals into an object too.
 */
function payloadRule(fn: FunctionModel, event: ScheduleEvent, problems: Problems): void {
  const payload = event.payload;
  if (payload === undefined || payload === null || typeof payload === 'string' || isObject(payload))
    return;
  problems.add(
    eventPath(fn, event, 'payload'),
    `is ${Array.isArray(payload) ? 'a list' : `the ${typeof payload} ${JSON.stringify(payload)}`}, but a Knative PingSource sends JSON data only as an object (its webhook rejects other JSON). Wrap it in a map, e.g. payload: { items: … }, or quote it to send it as text/plain`,
  );
}

export const knativeRules: PlatformRules = (model, problems) => {
  for (const fn of model.functions) {
    serviceRules(fn, problems);
    autoscalingRules(fn, model, problems);
    mountRules(fn, problems);
    volumeRules(fn, problems);
    featureRules(fn, problems);
    eventRules(fn, problems);
  }
};
