// Access to the test cluster that test/harness/global-setup.ts brought up (or that the caller named with
// SK8S_TEST_KUBECONFIG): kubeconfig paths, and a small HTTPS client for the Kubernetes API that reports
// status codes as they are (the integration tests assert 403/409 exactly).
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import yaml from 'js-yaml';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    sk8sKubeconfig: string;
    /** Empty when an external cluster was given without SK8S_TEST_UNPRIVILEGED_KUBECONFIG. */
    sk8sUnprivilegedKubeconfig: string;
    /** Short id of this run's cluster; network namespaces are named sk8s-<id>-<suffix>. */
    sk8sClusterId: string;
  }
}

export interface TestCluster {
  kubeconfig: string;
  unprivilegedKubeconfig: string | undefined;
  clusterId: string;
}

export function testCluster(): TestCluster {
  const kubeconfig = inject('sk8sKubeconfig') || process.env.SK8S_TEST_KUBECONFIG;
  if (!kubeconfig) {
    throw new Error(
      'no test cluster: run these tests in the vitest `cluster` project, or set SK8S_TEST_KUBECONFIG',
    );
  }
  const unprivileged =
    inject('sk8sUnprivilegedKubeconfig') || process.env.SK8S_TEST_UNPRIVILEGED_KUBECONFIG;
  return {
    kubeconfig,
    unprivilegedKubeconfig: unprivileged || undefined,
    clusterId: inject('sk8sClusterId') || 'ext',
  };
}

export interface ApiResponse<T = KubeObjectJson> {
  status: number;
  /** The parsed JSON body; undefined when the body is not JSON. */
  body: T | undefined;
  text: string;
}

/** Loosely typed Kubernetes object as it travels on the wire. */
export interface KubeObjectJson {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
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

export interface RequestOptions {
  body?: unknown;
  /** Defaults to application/json when a body is given. */
  contentType?: string;
  query?: Record<string, string>;
  timeoutMs?: number;
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

/** A token-authenticated client for one kubeconfig (the harness's kubeconfigs use bearer tokens). */
export class KubeApi {
  private constructor(
    readonly server: string,
    private readonly token: string,
    private readonly ca: Buffer | undefined,
    private readonly insecure: boolean,
  ) {}

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

  request<T = KubeObjectJson>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(options.query ?? {}))
      url.searchParams.set(key, value);
    const payload =
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
    };
    if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method,
          headers,
          ca: this.ca,
          rejectUnauthorized: !this.insecure,
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
      throw new Error(`${method} ${path}: HTTP ${resp.status} ${resp.text.slice(0, 500)}`);
    }
    return resp.body as T;
  }
}

let admin: KubeApi | undefined;
let unprivileged: KubeApi | undefined;

/** Client with cluster-admin rights (system:masters). */
export function adminApi(): KubeApi {
  admin ??= KubeApi.fromKubeconfig(testCluster().kubeconfig);
  return admin;
}

/** Client for `sk8s-unprivileged`, a user with no RBAC rules; undefined for an external cluster without one. */
export function unprivilegedApi(): KubeApi | undefined {
  const path = testCluster().unprivilegedKubeconfig;
  if (!path) return undefined;
  unprivileged ??= KubeApi.fromKubeconfig(path);
  return unprivileged;
}

/** Polls check until it returns a value other than undefined/false; bounded by timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 20_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await check();
      if (result !== undefined && result !== false) return result;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
}
