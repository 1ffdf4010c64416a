// The one door to the API server. Commands and providers use this interface; the implementation
// (client.ts) wraps @kubernetes/client-node. Errors it throws are UserError with a message that
// names the cluster, the verb, the resource and the namespace — never credentials.
import type { Readable } from 'node:stream';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ApplyResult {
  object: KubeObject;
  /** True when the server-side apply changed the stored object (resourceVersion moved). */
  changed: boolean;
  /** True when the object did not exist before this apply. */
  created: boolean;
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** Server-side apply with force: take over every conflicting field. */
  force?: boolean;
  /**
   * Decides, for one object whose apply conflicts, whether its fields may be taken from these
   * managers (e.g. a platform controller that writes the object back); the apply is then forced.
   */
  takesOverFrom?: (live: KubeObject, managers: string[]) => boolean;
}

export interface ProxyRequest {
  method: string;
  /** Path below the proxy root, starting with `/`. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** How long the function may stay silent before the request fails (default 300 s). */
  timeoutMs?: number;
}

export interface ProxyResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface LogOptions {
  container?: string;
  follow?: boolean;
  sinceSeconds?: number;
  sinceTime?: string;
  tailLines?: number;
  /** Logs of the previous (crashed) container instance. */
  previous?: boolean;
  /** Prefix each line with the kubelet's RFC 3339 timestamp. */
  timestamps?: boolean;
}

export interface ClusterClient {
  /** Display name of the cluster (context / server host), for messages. */
  readonly clusterName: string;
  /** Server-side apply, field manager `serverless-k8s`, bounded concurrency, in order of kinds. */
  apply(objects: KubeObject[], options?: ApplyOptions): Promise<ApplyResult[]>;
  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined>;
  /** `fieldSelector` e.g. `involvedObject.name=pod-1` for a pod's Events. */
  list(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    labelSelector?: string,
    fieldSelector?: string,
  ): Promise<KubeObject[]>;
  /** Deletes; a missing object is not an error. */
  delete(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<void>;
  /** Polls until none of these objects exist any more. */
  waitGone(objects: KubeObject[], timeoutMs: number): Promise<void>;
  /** Creates the namespace when missing; returns true when it did. */
  ensureNamespace(name: string): Promise<boolean>;
  /** True when the API server serves this group/version/kind (CRD installed). */
  hasKind(apiVersion: string, kind: string): Promise<boolean>;
  /** A request through /api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH. */
  proxy(
    namespace: string,
    service: string,
    port: number | string,
    request: ProxyRequest,
  ): Promise<ProxyResponse>;
  /** A request to one pod through /api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH. */
  podProxy(
    namespace: string,
    pod: string,
    port: number | string,
    request: ProxyRequest,
  ): Promise<ProxyResponse>;
  /** Pod logs through the pods/log API. */
  podLogs(namespace: string, pod: string, options: LogOptions): Promise<Readable>;
}
