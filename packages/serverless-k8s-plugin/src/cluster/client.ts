// ClusterClient over raw HTTP requests: @kubernetes/client-node supplies the kubeconfig, TLS
// material and credentials (applyToHTTPSOptions, which runs exec/auth-provider plugins); requests
// go through node:http(s) so server-side apply, dry-run, the service proxy and log streams are
// exactly what the API documents. Every failure becomes a UserError from ./errors.ts.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../util/errors.js';
import { stableJson } from '../util/stable-json.js';
import { MANAGER } from '../model/types.js';
import type {
  ApplyOptions,
  ApplyResult,
  ClusterClient,
  KubeObject,
  LogOptions,
  ProxyRequest,
  ProxyResponse,
} from './types.js';
import {
  apiError,
  conflictManagers,
  objectRef,
  parseStatus,
  transportError,
  type RequestDescription,
} from './errors.js';
import { loadKubeconfig, type KubeconfigOptions, type LoadedKubeconfig } from './kubeconfig.js';

/** Applies in flight at once: enough to hide latency, few enough not to trip API priority & fairness. */
const APPLY_CONCURRENCY = 8;
/** Ordinary requests give up after this long without a byte; log streams only wait this long for their headers. */
const REQUEST_TIMEOUT_MS = 30_000;
/** A function behind the service proxy may compute for a while before it answers. */
const PROXY_TIMEOUT_MS = 300_000;
/** RBAC verb of a services/proxy request by HTTP method. */
const PROXY_VERBS: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};
const POLL_MS = 250;
/** A request without an answer this long (and every such interval after) is reported as slow. */
const SLOW_REQUEST_MS = 5_000;
/** A list of objects' metadata only (meta.k8s.io PartialObjectMetadataList), JSON as fallback. */
const METADATA_LIST =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

/** `/apis/g/v/namespaces/ns/plural` of `/apis/g/v/namespaces/ns/plural/name`. */
function collectionOf(objectPath: string): string {
  return objectPath.slice(0, objectPath.lastIndexOf('/'));
}

export interface ConnectedClusterClient extends ClusterClient {
  /** Requests sent so far (for the deploy benchmark). */
  readonly requestCount: number;
  /** Closes idle keep-alive connections. */
  close(): void;
  /** Hears, every few seconds, about a request the API server has not answered yet. */
  onSlowRequest(listener: (message: string) => void): void;
}

interface Resource {
  plural: string;
  namespaced: boolean;
  group: string;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface RequestSpec {
  method: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: Buffer | string;
  contentType?: string;
  headers?: Record<string, string>;
  description: RequestDescription;
  /** Idle time after which the request fails (default REQUEST_TIMEOUT_MS). */
  timeoutMs?: number;
}

interface APIResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

export async function connect(options: KubeconfigOptions = {}): Promise<ConnectedClusterClient> {
  // client-node is ESM-only; a dynamic import lets the CommonJS plugin bundle load it.
  const { KubeConfig } = await import('@kubernetes/client-node');
  return new HttpClusterClient(loadKubeconfig(KubeConfig, options));
}

/** Kinds that must exist before others can be applied (lower first); unknown kinds are workloads. */
const KIND_RANK: Record<string, number> = {
  Namespace: 0,
  CustomResourceDefinition: 0,
  ServiceAccount: 1,
  ConfigMap: 1,
  Secret: 1,
  Role: 1,
  ClusterRole: 1,
  RoleBinding: 1,
  ClusterRoleBinding: 1,
  PersistentVolumeClaim: 1,
  HTTPTrigger: 3,
  CronJobTrigger: 3,
  KafkaTrigger: 3,
  NATSTrigger: 3,
  Ingress: 3,
  Trigger: 3,
  PingSource: 3,
  KafkaSource: 3,
  ApiServerSource: 3,
  ContainerSource: 3,
  SinkBinding: 3,
  DomainMapping: 3,
};
const WORKLOAD_RANK = 2;

export function applyRank(object: Pick<KubeObject, 'kind'>): number {
  return KIND_RANK[object.kind] ?? WORKLOAD_RANK;
}

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimited<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Content of a stored object without the fields every write or dry run moves. */
function comparable(object: KubeObject): string {
  const {
    managedFields: _managed,
    resourceVersion: _rv,
    generation: _gen,
    ...metadata
  } = object.metadata;
  return stableJson({ ...object, metadata });
}

const refOf = (object: KubeObject) => `${object.kind}/${object.metadata.name}`;

function listed(objects: KubeObject[]): string {
  const shown = objects.slice(0, 10).map(refOf).join(', ');
  return objects.length > 10 ? `${shown} and ${objects.length - 10} more` : shown;
}

/**
 * An apply that failed part-way says what it got done: which objects were applied and which not,
 * and that applying again converges (server-side apply is idempotent). Programming errors pass.
 */
function partialApplyError(
  error: unknown,
  objects: KubeObject[],
  results: (ApplyResult | undefined)[],
  dryRun: boolean,
): unknown {
  if (!(error instanceof UserError) || dryRun) return error;
  const applied = objects.filter((_, index) => results[index] !== undefined);
  const missing = objects.filter((_, index) => results[index] === undefined);
  const state =
    applied.length === 0
      ? `None of these ${objects.length} objects was applied (${listed(objects)}).`
      : `The apply stopped part-way: ${applied.length} of ${objects.length} objects were applied (${listed(applied)}); ` +
        `not applied: ${listed(missing)}. Applying is idempotent: run the same command again to converge.`;
  return new UserError(`${error.message}\n${state}`);
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) flat[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

class HttpClusterClient implements ConnectedClusterClient {
  readonly clusterName: string;
  requestCount = 0;
  private readonly config: LoadedKubeconfig;
  private readonly discovery = new Map<string, Promise<APIResourceList | undefined>>();
  private agent: http.Agent | undefined;
  private agentKey = '';
  private slowRequestListener: ((message: string) => void) | undefined;
  private readonly unanswered = new Set<{ started: number; description: RequestDescription }>();
  private slowTicker: NodeJS.Timeout | undefined;

  constructor(config: LoadedKubeconfig) {
    this.config = config;
    this.clusterName = config.displayName;
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  // ---- object access ------------------------------------------------------------------------

  async apply(objects: KubeObject[], options: ApplyOptions = {}): Promise<ApplyResult[]> {
    const results = new Array<ApplyResult>(objects.length);
    try {
      await this.applyInOrder(objects, options, results);
    } catch (error) {
      throw partialApplyError(error, objects, results, options.dryRun === true);
    }
    return results;
  }

  private async applyInOrder(
    objects: KubeObject[],
    options: ApplyOptions,
    results: ApplyResult[],
  ): Promise<void> {
    const ranks = [...new Set(objects.map(applyRank))].sort((a, b) => a - b);
    for (const rank of ranks) {
      const entries = await Promise.all(
        objects
          .map((object, index) => ({ object, index }))
          .filter(({ object }) => applyRank(object) === rank)
          .map(async ({ object, index }) => ({
            object,
            index,
            target: await this.locate(
              'patch',
              object.apiVersion,
              object.kind,
              object.metadata.namespace,
              object.metadata.name,
              true,
            ),
          })),
      );
      // A dry run compares whole objects, so it reads each one; a real apply only needs versions.
      const versions = options.dryRun
        ? new Map<string, Map<string, string>>()
        : await this.listVersions(entries.map(({ target }) => target));
      // After a failure no further apply starts, but those in flight finish, so that the error
      // knows exactly what got applied.
      let failure: { error: unknown } | undefined;
      await mapLimited(entries, APPLY_CONCURRENCY, async ({ object, index, target }) => {
        if (failure) return;
        try {
          results[index] = await this.applyOne(object, target, options, versions);
        } catch (error) {
          failure ??= { error };
        }
      });
      if (failure) throw failure.error;
      // Objects of a new CRD can only be applied once the CRD is served.
      const crds = entries.filter(({ object }) => object.kind === 'CustomResourceDefinition');
      if (crds.length > 0 && !options.dryRun)
        await Promise.all(crds.map(({ object }) => this.waitEstablished(object)));
    }
  }

  /**
   * resourceVersion by name for every collection that several objects are applied to: one
   * metadata-only list (no specs, no code) instead of a GET per object. A collection the user may
   * not list is left out (its objects are read one by one).
   */
  private async listVersions(
    targets: { path: string; description: RequestDescription }[],
  ): Promise<Map<string, Map<string, string>>> {
    const byCollection = new Map<string, RequestDescription[]>();
    for (const { path, description } of targets) {
      const collection = collectionOf(path);
      byCollection.set(collection, [...(byCollection.get(collection) ?? []), description]);
    }
    const versions = new Map<string, Map<string, string>>();
    for (const [collection, descriptions] of byCollection) {
      if (descriptions.length < 2) continue;
      const { name: _name, ...description } = descriptions[0] as RequestDescription;
      const names = new Map<string, string>();
      let continueToken: string | undefined;
      let denied = false;
      do {
        const response = await this.send(
          {
            method: 'GET',
            path: collection,
            query: { limit: 500, continue: continueToken },
            headers: { Accept: METADATA_LIST },
            description: { ...description, verb: 'list' },
          },
          [403],
        );
        if (response.status === 403) {
          denied = true;
          break;
        }
        // An empty PartialObjectMetadataList comes with `items: null`.
        const page = JSON.parse(response.body.toString()) as {
          items: { metadata: { name: string; resourceVersion?: string } }[] | null;
          metadata?: { continue?: string };
        };
        for (const item of page.items ?? [])
          names.set(item.metadata.name, item.metadata.resourceVersion ?? '');
        continueToken = page.metadata?.continue || undefined;
      } while (continueToken);
      if (!denied) versions.set(collection, names);
    }
    return versions;
  }

  private async applyOne(
    object: KubeObject,
    { path, description }: { path: string; description: RequestDescription },
    options: ApplyOptions,
    versions: Map<string, Map<string, string>>,
  ): Promise<ApplyResult> {
    const namespace = description.namespace;
    const listed = versions.get(collectionOf(path));
    const before = listed ? undefined : await this.getAt(path, { ...description, verb: 'get' });
    const existed = listed ? listed.has(object.metadata.name) : before !== undefined;
    const body = namespace ? { ...object, metadata: { ...object.metadata, namespace } } : object;
    const patch = (force: boolean) =>
      this.send(
        {
          method: 'PATCH',
          path,
          query: {
            fieldManager: MANAGER,
            force: force ? true : undefined,
            dryRun: options.dryRun ? 'All' : undefined,
          },
          // JSON is YAML: the apply-patch content type takes either.
          body: JSON.stringify(body),
          contentType: 'application/apply-patch+yaml',
          description: { ...description, verb: existed ? 'patch' : 'create' },
        },
        options.takesOverFrom && !options.force ? [409] : [],
      );
    let response = await patch(options.force ?? false);
    if (response.status === 409) {
      // A conflict with a manager the caller may take fields from (a platform's controller that
      // writes the object back): force this one object; any other conflict is reported as is.
      const managers = conflictManagers(response.body);
      const live = await this.getAt(path, { ...description, verb: 'get' });
      if (!live || managers.length === 0 || !options.takesOverFrom?.(live, managers)) {
        throw apiError({ ...description, verb: 'patch' }, 409, response.body);
      }
      response = await patch(true);
    }
    const after = JSON.parse(response.body.toString()) as KubeObject;
    const changed = !existed
      ? true
      : before && options.dryRun
        ? comparable(before) !== comparable(after)
        : (listed?.get(object.metadata.name) ?? before?.metadata.resourceVersion) !==
          after.metadata.resourceVersion;
    return { object: after, changed, created: !existed };
  }

  private async waitEstablished(crd: KubeObject): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const current = await this.get(crd.apiVersion, crd.kind, undefined, crd.metadata.name);
      const conditions =
        (current?.status as { conditions?: { type: string; status: string }[] } | undefined)
          ?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
      await sleep(POLL_MS);
    }
    throw new UserError(
      `CustomResourceDefinition "${crd.metadata.name}" was not Established in cluster ${this.clusterName} within 30s.`,
    );
  }

  async get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined> {
    const located = await this.tryLocate('get', apiVersion, kind, namespace, name);
    if (!located) return undefined; // a kind the server does not serve has no objects
    return this.getAt(located.path, located.description);
  }

  private async getAt(
    path: string,
    description: RequestDescription,
  ): Promise<KubeObject | undefined> {
    const response = await this.send({ method: 'GET', path, description }, [404]);
    if (response.status === 404) return undefined;
    return JSON.parse(response.body.toString()) as KubeObject;
  }

  async list(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    labelSelector?: string,
    fieldSelector?: string,
  ): Promise<KubeObject[]> {
    const located = await this.tryLocate('list', apiVersion, kind, namespace, undefined);
    if (!located) return [];
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    // Pages of 500; the server's continue token ends the loop.
    do {
      const response = await this.send({
        method: 'GET',
        path: located.path,
        query: { labelSelector, fieldSelector, limit: 500, continue: continueToken },
        description: located.description,
      });
      const page = JSON.parse(response.body.toString()) as {
        items: KubeObject[];
        metadata?: { continue?: string };
      };
      for (const item of page.items) items.push({ ...item, apiVersion, kind });
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return items;
  }

  async delete(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<void> {
    const located = await this.tryLocate('delete', apiVersion, kind, namespace, name);
    if (!located) return;
    await this.send(
      {
        method: 'DELETE',
        path: located.path,
        query: { propagationPolicy: 'Background' },
        description: located.description,
      },
      [404],
    );
  }

  async waitGone(objects: KubeObject[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let remaining = objects;
    for (;;) {
      const present = await mapLimited(remaining, APPLY_CONCURRENCY, (object) =>
        this.get(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name),
      );
      const live = present.filter((object): object is KubeObject => object !== undefined);
      remaining = remaining.filter((_, index) => present[index] !== undefined);
      if (remaining.length === 0) return;
      if (Date.now() >= deadline) {
        const names = remaining
          .map((object) => `${object.kind}/${object.metadata.name}`)
          .join(', ');
        // An object with finalizers is gone only once the controller that set them removes them.
        const finalizers = [
          ...new Set(
            live.flatMap((object) => (object.metadata.finalizers as string[] | undefined) ?? []),
          ),
        ];
        const why =
          finalizers.length > 0
            ? ` They wait for their finalizers (${finalizers.join(', ')}): is the controller that set them running?`
            : '';
        throw new UserError(
          `Still present in cluster ${this.clusterName} after ${Math.round(timeoutMs / 1000)}s: ${names}.${why}`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  async ensureNamespace(name: string): Promise<boolean> {
    const description = this.describe('get', 'namespaces', 'Namespace', name, undefined);
    const path = `/api/v1/namespaces/${encodeURIComponent(name)}`;
    const existing = await this.send({ method: 'GET', path, description }, [403, 404]);
    // A deployer without the namespaces ClusterRole (docs/rbac.md §2) works in namespaces an admin
    // made: go on, and a missing one fails the apply with the server's NotFound.
    if (existing.status !== 404) return false;
    const response = await this.send(
      {
        method: 'POST',
        path: '/api/v1/namespaces',
        body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
        contentType: 'application/json',
        description: { ...description, verb: 'create' },
      },
      [409],
    );
    return response.status !== 409; // 409: someone created it meanwhile
  }

  async hasKind(apiVersion: string, kind: string): Promise<boolean> {
    // Asked fresh: the answer decides whether a CRD is installed, and CRDs come and go.
    return (await this.resource(apiVersion, kind, true)) !== undefined;
  }

  // ---- service and pod proxy, logs ---------------------------------------------------------------

  async proxy(
    namespace: string,
    service: string,
    port: number | string,
    request: ProxyRequest,
  ): Promise<ProxyResponse> {
    const { description, response, status } = await this.sendProxied(
      'services',
      'Service',
      namespace,
      service,
      port,
      request,
    );
    if (status) {
      // The proxy answers `services "x" not found` both for a missing Service and for one whose
      // Endpoints object does not exist yet: only the Service itself tells them apart.
      const serviceExists =
        response.status === 404 &&
        (await this.get('v1', 'Service', namespace, service)) !== undefined;
      const message = serviceExists ? 'no endpoints available' : (status.message ?? '');
      throw proxyError(
        description,
        this.clusterName,
        port,
        response.status,
        message,
        response.body,
      );
    }
    return {
      status: response.status,
      headers: flattenHeaders(response.headers),
      body: response.body,
    };
  }

  async podProxy(
    namespace: string,
    pod: string,
    port: number | string,
    request: ProxyRequest,
  ): Promise<ProxyResponse> {
    const { description, response, status } = await this.sendProxied(
      'pods',
      'Pod',
      namespace,
      pod,
      port,
      request,
    );
    if (status) {
      if (response.status === 503 || response.status === 502) {
        throw new UserError(
          `The API server of ${this.clusterName} cannot reach pod "${pod}:${port}" in namespace "${namespace}": ${status.message ?? ''}`,
        );
      }
      throw apiError(description, response.status, response.body);
    }
    return {
      status: response.status,
      headers: flattenHeaders(response.headers),
      body: response.body,
    };
  }

  /**
   * A request through `/api/v1/namespaces/NS/{services|pods}/NAME:PORT/proxy/PATH`. `status` is
   * the API server's own error (a Status object); the function's own error responses pass through.
   */
  private async sendProxied(
    plural: 'services' | 'pods',
    kind: string,
    namespace: string,
    name: string,
    port: number | string,
    request: ProxyRequest,
  ) {
    const method = request.method.toUpperCase();
    const verb = PROXY_VERBS[method] ?? 'get';
    const description = this.describe(verb, `${plural}/proxy`, kind, name, namespace);
    const below = request.path.startsWith('/') ? request.path : `/${request.path}`;
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(name)}:${encodeURIComponent(String(port))}/proxy${below}`;
    const response = await this.send(
      {
        method,
        path,
        body: request.body,
        headers: request.headers,
        description,
        timeoutMs: request.timeoutMs ?? PROXY_TIMEOUT_MS,
      },
      'any',
    );
    const status = response.status >= 400 ? parseStatus(response.body) : undefined;
    return { description, response, status };
  }

  async podLogs(namespace: string, pod: string, options: LogOptions): Promise<Readable> {
    const description = this.describe('get', 'pods/log', 'Pod', pod, namespace);
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`;
    return this.stream({
      method: 'GET',
      path,
      query: {
        container: options.container,
        follow: options.follow ? true : undefined,
        previous: options.previous ? true : undefined,
        sinceSeconds: options.sinceSeconds,
        sinceTime: options.sinceTime,
        tailLines: options.tailLines,
        timestamps: options.timestamps ? true : undefined,
      },
      description,
    });
  }

  // ---- discovery and paths ------------------------------------------------------------------

  private async resource(
    apiVersion: string,
    kind: string,
    fresh = false,
  ): Promise<Resource | undefined> {
    const find = (list: APIResourceList | undefined): Resource | undefined => {
      const entry = list?.resources.find((r) => r.kind === kind && !r.name.includes('/'));
      return (
        entry && { plural: entry.name, namespaced: entry.namespaced, group: groupOf(apiVersion) }
      );
    };
    if (fresh) return find(await this.discover(apiVersion, true));
    const cached = find(await this.discover(apiVersion, false));
    // A miss may be a CRD installed since the cache was filled: ask once more.
    return cached ?? find(await this.discover(apiVersion, true));
  }

  private discover(apiVersion: string, refresh: boolean): Promise<APIResourceList | undefined> {
    const existing = this.discovery.get(apiVersion);
    if (existing && !refresh) return existing;
    const path = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
    const description = this.describe(
      'get',
      `discovery ${apiVersion}`,
      undefined,
      undefined,
      undefined,
    );
    const pending = this.send({ method: 'GET', path, description }, [404]).then((response) =>
      response.status === 404
        ? undefined
        : (JSON.parse(response.body.toString()) as APIResourceList),
    );
    this.discovery.set(apiVersion, pending);
    pending.catch(() => this.discovery.delete(apiVersion));
    return pending;
  }

  private async tryLocate(
    verb: string,
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string | undefined,
  ) {
    const resource = await this.resource(apiVersion, kind);
    return resource && this.pathFor(verb, apiVersion, kind, resource, namespace, name);
  }

  /** Like tryLocate, but a kind the server does not serve is an error (apply needs it). */
  private async locate(
    verb: string,
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    defaultNamespace: boolean,
  ) {
    const resource = await this.resource(apiVersion, kind);
    if (!resource) {
      throw new UserError(
        `Cannot ${verb} ${objectRef({ kind, resource: kind, name, namespace })}: cluster ${this.clusterName} does not serve ` +
          `${kind} in ${apiVersion}. Is its CustomResourceDefinition installed?`,
      );
    }
    const effectiveNamespace = resource.namespaced
      ? (namespace ?? (defaultNamespace ? 'default' : undefined))
      : undefined;
    return this.pathFor(verb, apiVersion, kind, resource, effectiveNamespace, name);
  }

  private pathFor(
    verb: string,
    apiVersion: string,
    kind: string,
    resource: Resource,
    namespace: string | undefined,
    name: string | undefined,
  ) {
    const root = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
    const scoped =
      resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    const path = `${root}${scoped}/${resource.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
    const rbacResource = resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
    return {
      path,
      description: this.describe(
        verb,
        rbacResource,
        kind,
        name,
        resource.namespaced ? namespace : undefined,
      ),
    };
  }

  private describe(
    verb: string,
    resource: string,
    kind: string | undefined,
    name: string | undefined,
    namespace: string | undefined,
  ): RequestDescription {
    return {
      cluster: this.clusterName,
      server: this.config.server,
      user: this.config.userName,
      verb,
      resource,
      ...(kind ? { kind } : {}),
      ...(name ? { name } : {}),
      ...(namespace ? { namespace } : {}),
    };
  }

  // ---- transport ----------------------------------------------------------------------------

  /** Sends and buffers; statuses outside 2xx throw unless listed in `accept` (or `any`). */
  private async send(spec: RequestSpec, accept: number[] | 'any' = []): Promise<RawResponse> {
    const response = await this.open(spec, true);
    const body = await buffer(response).catch((error: unknown) => {
      throw transportError(spec.description, error);
    });
    const status = response.statusCode ?? 0;
    if ((status < 200 || status >= 300) && accept !== 'any' && !accept.includes(status)) {
      throw apiError(spec.description, status, body);
    }
    return { status, headers: response.headers, body };
  }

  /** Opens a streaming response (pod logs); a non-2xx status throws with the server's message. */
  private async stream(spec: RequestSpec): Promise<Readable> {
    const response = await this.open(spec, false);
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300)
      throw apiError(spec.description, status, await buffer(response).catch(() => Buffer.alloc(0)));
    return response;
  }

  private async open(
    spec: RequestSpec,
    timeoutWholeRequest: boolean,
  ): Promise<http.IncomingMessage> {
    const url = new URL(this.config.server.replace(/\/+$/, '') + spec.path);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const options = await this.requestOptions(spec.description);
    const headers: Record<string, string | number> = {
      Accept: 'application/json, */*',
      ...(options.headers as Record<string, string> | undefined),
      ...spec.headers,
    };
    // Credentials set above win over anything a proxied request carries.
    const auth = (options.headers as Record<string, string> | undefined)?.Authorization;
    if (auth) headers.Authorization = auth;
    if (spec.contentType) headers['Content-Type'] = spec.contentType;
    if (spec.body !== undefined) headers['Content-Length'] = Buffer.byteLength(spec.body);
    const transport = url.protocol === 'http:' ? http : https;
    this.requestCount += 1;
    // (Not watched for the service proxy: there the function is what may take its time.)
    const unwatch =
      spec.timeoutMs === undefined && this.slowRequestListener
        ? this.watchSlow(spec.description)
        : undefined;
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = transport.request(
        url,
        {
          method: spec.method,
          headers,
          agent: options.agent,
          ...(options.auth ? { auth: options.auth } : {}),
        },
        (response) => {
          if (!timeoutWholeRequest) request.setTimeout(0);
          resolve(response);
        },
      );
      const timeoutMs = spec.timeoutMs ?? REQUEST_TIMEOUT_MS;
      request.setTimeout(timeoutMs, () => {
        request.destroy(
          Object.assign(new Error(`no answer within ${timeoutMs / 1000}s`), {
            code: 'ETIMEDOUT',
          }),
        );
      });
      request.on('error', (error) => reject(transportError(spec.description, error)));
      request.end(spec.body);
    }).finally(() => unwatch?.());
  }

  onSlowRequest(listener: (message: string) => void): void {
    this.slowRequestListener = listener;
  }

  /**
   * A server that accepts connections and then says nothing would leave the user staring at
   * nothing until the timeout: while requests are unanswered, one line every few seconds says
   * how long and what for. Returns the request's unwatch.
   */
  private watchSlow(description: RequestDescription): () => void {
    const entry = { started: Date.now(), description };
    this.unanswered.add(entry);
    this.slowTicker ??= setInterval(() => {
      const oldest = [...this.unanswered].sort((a, b) => a.started - b.started)[0];
      if (!oldest || Date.now() - oldest.started < SLOW_REQUEST_MS) return;
      const waited = Math.round((Date.now() - oldest.started) / 1000);
      const others = this.unanswered.size - 1;
      this.slowRequestListener?.(
        `Still waiting for the API server ${this.config.server} after ${waited}s ` +
          `(${oldest.description.verb} ${objectRef(oldest.description)}${others > 0 ? ` and ${others} more request${others === 1 ? '' : 's'}` : ''})…`,
      );
    }, SLOW_REQUEST_MS);
    return () => {
      this.unanswered.delete(entry);
      if (this.unanswered.size === 0 && this.slowTicker) {
        clearInterval(this.slowTicker);
        this.slowTicker = undefined;
      }
    };
  }

  /** Credentials and TLS material from the library, with a keep-alive agent reused across requests. */
  private async requestOptions(description: RequestDescription): Promise<https.RequestOptions> {
    const options: https.RequestOptions = {};
    try {
      await this.config.kc.applyToHTTPSOptions(options);
    } catch (error) {
      // Messages from exec plugins name the command and its failure, not secrets.
      const detail = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
      throw new UserError(
        `Cannot get credentials for kubeconfig user "${this.config.userName}" of ${description.cluster}: ${detail}`,
      );
    }
    const cluster = this.config.kc.getCurrentCluster();
    if (cluster?.proxyUrl) return options; // the library's agent speaks to the proxy
    const key = [
      options.ca,
      options.cert,
      options.key,
      options.rejectUnauthorized,
      options.servername,
    ]
      .map(String)
      .join('|');
    if (!this.agent || key !== this.agentKey) {
      this.agent?.destroy();
      const isHttp = this.config.server.startsWith('http:');
      this.agent = isHttp
        ? new http.Agent({ keepAlive: true, maxSockets: 16 })
        : new https.Agent({
            keepAlive: true,
            maxSockets: 16,
            ca: options.ca,
            cert: options.cert,
            key: options.key,
            servername: options.servername,
            ...(options.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
          });
      this.agentKey = key;
    }
    return { ...options, agent: this.agent };
  }
}

function proxyError(
  description: RequestDescription,
  cluster: string,
  port: number | string,
  status: number,
  message: string,
  body: Buffer,
): UserError {
  const target = `service "${description.name}:${port}" in namespace "${description.namespace}"`;
  if (/no endpoints available/i.test(message)) {
    return new UserError(
      `function "${description.name}" has no ready pods in namespace "${description.namespace}" (cluster ${cluster}): ` +
        `the API server's proxy found no endpoints for ${target}. Check \`serverless deploy\` output or \`serverless logs\`.`,
    );
  }
  if (status === 404 && /services? .*not found/i.test(message)) {
    return new UserError(
      `${target} does not exist in cluster ${cluster}: is the function deployed?`,
    );
  }
  if (status === 503 || status === 502) {
    return new UserError(`The API server of ${cluster} cannot reach ${target}: ${message}`);
  }
  return apiError(description, status, body);
}
