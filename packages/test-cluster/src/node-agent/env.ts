// A container's environment as the kubelet computes it (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables):
// service links first, then envFrom, then env in order, each value with $(VAR) references to what
// came before expanded; command and args are expanded with the result.
import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { KubeApi } from '../kube-api.js';

export class ContainerConfigError extends Error {}

/** kubelet's expansion (third_party/forked/golang/expansion): `$(NAME)` if defined, `$$` → `$`. */
export function expand(input: string, vars: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += name in vars ? vars[name] : `$(${name})`;
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

/** The value of a downward API field path (metadata.name, metadata.labels['key'], status.podIP, …). */
export function fieldRefValue(pod: Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const mapKey = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (mapKey)
    return (mapKey[1] === 'labels' ? meta.labels : meta.annotations)?.[mapKey[2] ?? ''] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return Object.entries(meta.labels ?? {})
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n');
    case 'metadata.annotations':
      return Object.entries(meta.annotations ?? {})
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n');
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((entry) => entry.ip).join(',');
    default:
      throw new ContainerConfigError(`unsupported fieldPath: ${fieldPath}`);
  }
}

/** Bytes of a resource quantity (binary and decimal suffixes), for resourceFieldRef. */
function quantityValue(quantity: string, divisor: string | undefined): string {
  const units: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  };
  const parse = (q: string): number => {
    const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(q);
    return match ? Number(match[1]) * (units[match[2] ?? ''] ?? 1) : Number.NaN;
  };
  return String(Math.ceil(parse(quantity) / parse(divisor ?? '1')));
}

/** Node capacity, the value of a resourceFieldRef whose container sets no limit. */
const NODE_ALLOCATABLE: Record<string, string> = {
  cpu: '2',
  memory: '24Gi',
  'ephemeral-storage': '100Gi',
};

function resourceValue(
  container: Container,
  resource: string,
  divisor: string | undefined,
): string {
  const [kind, name] = resource.split('.') as [string, string];
  const resources = container.resources ?? {};
  const value =
    (kind === 'limits'
      ? resources.limits?.[name]
      : (resources.requests?.[name] ?? resources.limits?.[name])) ??
    (kind === 'limits' ? NODE_ALLOCATABLE[name] : name === 'cpu' ? '0' : '0');
  return quantityValue(String(value), divisor);
}

/** `<NAME>_SERVICE_HOST` and friends for every Service of the namespace (enableServiceLinks). */
function serviceLinkEnv(services: Service[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const service of services) {
    const ip = service.spec?.clusterIP;
    if (!ip || ip === 'None') continue;
    const name = (service.metadata?.name ?? '').toUpperCase().replace(/-/g, '_');
    const ports = service.spec?.ports ?? [];
    const first = ports[0];
    if (!first) continue;
    env[`${name}_SERVICE_HOST`] = ip;
    env[`${name}_SERVICE_PORT`] = String(first.port);
    env[`${name}_PORT`] = `${(first.protocol ?? 'TCP').toLowerCase()}://${ip}:${first.port}`;
    for (const port of ports) {
      const protocol = port.protocol ?? 'TCP';
      const prefix = `${name}_PORT_${port.port}_${protocol}`;
      if (port.name)
        env[`${name}_SERVICE_PORT_${port.name.toUpperCase().replace(/-/g, '_')}`] = String(
          port.port,
        );
      env[prefix] = `${protocol.toLowerCase()}://${ip}:${port.port}`;
      env[`${prefix}_PROTO`] = protocol.toLowerCase();
      env[`${prefix}_PORT`] = String(port.port);
      env[`${prefix}_ADDR`] = ip;
    }
  }
  return env;
}

async function getObject<T>(api: KubeApi, path: string): Promise<T | undefined> {
  const resp = await api.request<T>('GET', path);
  if (resp.status === 404) return undefined;
  if (resp.status !== 200) throw new ContainerConfigError(`GET ${path}: HTTP ${resp.status}`);
  return resp.body;
}

function secretData(secret: Secret): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [
      k,
      Buffer.from(v, 'base64').toString('utf8'),
    ]),
  );
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export async function containerEnv(
  api: KubeApi,
  pod: Pod,
  container: Container,
  services: Service[],
  imageEnv: Record<string, string>,
): Promise<Record<string, string>> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const vars: Record<string, string> = {};
  if (pod.spec?.enableServiceLinks !== false) Object.assign(vars, serviceLinkEnv(services));
  for (const source of container.envFrom ?? []) {
    let data: Record<string, string> | undefined;
    let what: string;
    if (source.configMapRef) {
      what = `configmap "${source.configMapRef.name ?? ''}"`;
      const cm = await getObject<ConfigMap>(
        api,
        `/api/v1/namespaces/${namespace}/configmaps/${source.configMapRef.name ?? ''}`,
      );
      data = cm?.data ?? (cm ? {} : undefined);
      if (!data && !source.configMapRef.optional)
        throw new ContainerConfigError(`${what} not found`);
    } else if (source.secretRef) {
      what = `secret "${source.secretRef.name ?? ''}"`;
      const secret = await getObject<Secret>(
        api,
        `/api/v1/namespaces/${namespace}/secrets/${source.secretRef.name ?? ''}`,
      );
      data = secret ? secretData(secret) : undefined;
      if (!data && !source.secretRef.optional) throw new ContainerConfigError(`${what} not found`);
    }
    for (const [key, value] of Object.entries(data ?? {})) {
      const name = `${source.prefix ?? ''}${key}`;
      if (ENV_NAME.test(name)) vars[name] = value;
    }
  }
  for (const entry of container.env ?? []) {
    if (entry.valueFrom === undefined) {
      vars[entry.name] = expand(entry.value ?? '', vars);
      continue;
    }
    const from = entry.valueFrom;
    if (from.fieldRef) vars[entry.name] = fieldRefValue(pod, from.fieldRef.fieldPath);
    else if (from.resourceFieldRef) {
      vars[entry.name] = resourceValue(
        container,
        from.resourceFieldRef.resource,
        from.resourceFieldRef.divisor as string | undefined,
      );
    } else if (from.configMapKeyRef) {
      const ref = from.configMapKeyRef;
      const cm = await getObject<ConfigMap>(
        api,
        `/api/v1/namespaces/${namespace}/configmaps/${ref.name ?? ''}`,
      );
      const value = cm?.data?.[ref.key];
      if (value !== undefined) vars[entry.name] = value;
      else if (!ref.optional) {
        throw new ContainerConfigError(
          cm
            ? `couldn't find key ${ref.key} in ConfigMap ${namespace}/${ref.name ?? ''}`
            : `configmap "${ref.name ?? ''}" not found`,
        );
      }
    } else if (from.secretKeyRef) {
      const ref = from.secretKeyRef;
      const secret = await getObject<Secret>(
        api,
        `/api/v1/namespaces/${namespace}/secrets/${ref.name ?? ''}`,
      );
      const value = secret ? secretData(secret)[ref.key] : undefined;
      if (value !== undefined) vars[entry.name] = value;
      else if (!ref.optional) {
        throw new ContainerConfigError(
          secret
            ? `couldn't find key ${ref.key} in Secret ${namespace}/${ref.name ?? ''}`
            : `secret "${ref.name ?? ''}" not found`,
        );
      }
    }
  }
  // The image's env (e.g. PATH) applies where the pod spec sets nothing; HOSTNAME is the pod's name
  // and HOME defaults to / as a container runtime sets it.
  return { HOME: '/', ...imageEnv, HOSTNAME: pod.metadata?.name ?? '', ...vars };
}
