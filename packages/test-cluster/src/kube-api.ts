// A small HTTPS client for the Kubernetes API with bearer-token kubeconfigs (the test cluster's own),
// shared by the test-cluster CLI, the node agent, the Knative stand-in and the test harness. It
// reports status codes as they are: the integration tests assert 403/409 exactly.
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import yaml from 'js-yaml';

/** Loosely typed Kubernetes object as it travels on the wire (for tests that read any kind). */
export interface KubeObjectJson {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: { manager?: string; operation?: string }[];
    [key: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
  items?: KubeObjectJson[];
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { field?: string; message?: string }[] };
  [key: string]: unknown;
}

export interface ApiResponse<T = KubeObjectJson> {
  status: number;
  /** The parsed JSON body; undefined when the body is not JSON. */
  body: T | undefined;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Defaults to application/json when a body is given. */
  contentType?: string;
  query?: Record<string, string>;
  timeoutMs?: number;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: {
    name: string;
    cluster: {
      server: string;
      'certificate-authority-data'?: string;
      'insecure-skip-tls-verify'?: boolean;
    };
  }[];
  users?: { name: string; user: { token?: string } }[];
}

export class KubeApi {
  private readonly agent: Agent;

  constructor(
    readonly server: string,
    private readonly token: string,
    ca: Buffer | string | undefined,
    insecure = false,
  ) {
    this.agent = new Agent({ keepAlive: true, ca, rejectUnauthorized: !insecure, maxSockets: 16 });
  }

  static fromKubeconfig(path: string): KubeApi {
    const config = yaml.load(readFileSync(path, 'utf8')) as KubeconfigFile;
    const contextName = config['current-context'];
    const context = config.contexts?.find((c) => c.name === contextName)?.context;
    const cluster = config.clusters?.find((c) => c.name === context?.cluster)?.cluster;
    const token = config.users?.find((u) => u.name === context?.user)?.user.token;
    if (!cluster || !token) {
      throw new Error(
        `${path}: the current context needs a cluster and a user with a bearer token`,
      );
    }
    const caData = cluster['certificate-authority-data'];
    return new KubeApi(
      cluster.server,
      token,
      caData ? Buffer.from(caData, 'base64') : undefined,
      cluster['insecure-skip-tls-verify'] === true,
    );
  }

  private url(path: string, query: Record<string, string> = {}): URL {
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url;
  }

  private headers(payload: string | undefined, contentType: string | undefined) {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
    };
    if (payload !== undefined) {
      headers['content-type'] = contentType ?? 'application/json';
      // The API server ignores a chunked DELETE body (DeleteOptions): always send a length.
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return headers;
  }

  request<T = KubeObjectJson>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const url = this.url(path, options.query);
    const payload =
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method,
          agent: this.agent,
          headers: this.headers(payload, options.contentType),
          timeout: options.timeoutMs ?? 15_000,
        },
        (resp) => {
          const chunks: Buffer[] = [];
          resp.on('data', (chunk: Buffer) => chunks.push(chunk));
          resp.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: T | undefined;
            try {
              body = JSON.parse(text) as T;
            } catch {
              body = undefined;
            }
            resolve({ status: resp.statusCode ?? 0, body, text });
          });
          resp.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${url.pathname}: no answer in time`)),
      );
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** Like request, but throws unless the status is 2xx (the message carries the server's reason). */
  async expect<T = KubeObjectJson>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<T> {
    const resp = await this.request<T>(method, path, options);
    if (resp.status < 200 || resp.status >= 300) {
      throw new ApiError(method, path, resp.status, resp.text);
    }
    return resp.body as T;
  }

  /**
   * Streams a watch: calls onEvent for each event until the server ends the watch (returns normally)
   * or `signal` aborts. Rejects on a connection error or a non-200 answer.
   */
  watch<T>(
    path: string,
    query: Record<string, string>,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const url = this.url(path, { ...query, watch: 'true', allowWatchBookmarks: 'true' });
    return new Promise((resolve, reject) => {
      const req: ClientRequest = httpsRequest(url, {
        method: 'GET',
        agent: this.agent,
        headers: this.headers(undefined, undefined),
        signal,
      });
      req.on('response', (resp: IncomingMessage) => {
        if (resp.statusCode !== 200) {
          const chunks: Buffer[] = [];
          resp.on('data', (chunk: Buffer) => chunks.push(chunk));
          resp.on('end', () =>
            reject(
              new ApiError('WATCH', path, resp.statusCode ?? 0, Buffer.concat(chunks).toString()),
            ),
          );
          return;
        }
        let buffered = '';
        resp.setEncoding('utf8');
        resp.on('data', (chunk: string) => {
          buffered += chunk;
          let newline: number;
          try {
            while ((newline = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, newline).trim();
              buffered = buffered.slice(newline + 1);
              if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
            }
          } catch (err) {
            // A handler's error (e.g. an expired resourceVersion) ends this watch, not the process.
            req.destroy();
            reject(err as Error);
          }
        });
        resp.on('end', () => resolve());
        resp.on('error', (err) => (signal.aborted ? resolve() : reject(err)));
      });
      req.on('error', (err) => (signal.aborted ? resolve() : reject(err)));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly responseText: string,
  ) {
    super(`${method} ${path}: HTTP ${status} ${responseText.slice(0, 500)}`);
  }
}
