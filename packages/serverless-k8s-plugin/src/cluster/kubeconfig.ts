// Loads the kubeconfig through @kubernetes/client-node (KUBECONFIG list, ~/.kube/config, in-cluster
// service account; exec/auth-provider credentials are the library's job) and picks the context.
// Messages name files, contexts and servers — never the file's contents or any credential.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { UserError } from '../util/errors.js';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeconfigOptions {
  /** Context to use instead of the kubeconfig's current context (provider.context). */
  context?: string;
  /** A kubeconfig file instead of the default lookup. */
  kubeconfigPath?: string;
}

export interface LoadedKubeconfig {
  kc: KubeConfig;
  /** Name of the context in use (`in-cluster` for a service account). */
  contextName: string;
  /** Server URL of the context's cluster. */
  server: string;
  /** Name of the kubeconfig user, for 403 messages when the server does not say. */
  userName: string;
  /** What messages call the cluster: `context "x" (server host:port)`. */
  displayName: string;
}

/** Where the default lookup would read from, in the library's order; undefined when nothing exists. */
export function defaultKubeconfigSource(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const list = env.KUBECONFIG?.split(delimiter).filter((file) => file.length > 0) ?? [];
  if (list.length > 0) return `KUBECONFIG (${list.join(delimiter)})`;
  const home = join(homedir(), '.kube', 'config');
  if (existsSync(home)) return home;
  if (existsSync(SERVICE_ACCOUNT_TOKEN)) return 'in-cluster service account';
  return undefined;
}

/** `host:port` of a server URL, for messages. */
export function serverHost(server: string): string {
  try {
    return new URL(server).host || server;
  } catch {
    return server;
  }
}

export function loadKubeconfig(KubeConfigClass: new () => KubeConfig, options: KubeconfigOptions): LoadedKubeconfig {
  const kc = new KubeConfigClass();
  let source: string;
  if (options.kubeconfigPath) {
    source = options.kubeconfigPath;
    if (!existsSync(source)) throw new UserError(`kubeconfig file ${source} does not exist`);
    load(() => kc.loadFromFile(source), source);
  } else {
    const found = defaultKubeconfigSource();
    if (!found) {
      throw new UserError(
        'No Kubernetes configuration found: set KUBECONFIG, create ~/.kube/config, or run inside a cluster ' +
          '(service account token).',
      );
    }
    source = found;
    load(() => kc.loadFromDefault(), source);
  }

  const contexts = kc.getContexts().map((context) => context.name);
  if (options.context) {
    if (!contexts.includes(options.context)) {
      throw new UserError(
        `kubeconfig context "${options.context}" (provider.context) does not exist in ${source}. ` +
          `Available contexts: ${contexts.length > 0 ? contexts.join(', ') : '(none)'}.`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  const contextName = kc.getCurrentContext();
  if (!contextName || !kc.getContextObject(contextName)) {
    throw new UserError(
      `${source} has no current context: set provider.context to one of ${contexts.join(', ') || '(none)'} ` +
        'or run `kubectl config use-context NAME`.',
    );
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster || !cluster.server) {
    throw new UserError(`kubeconfig context "${contextName}" refers to a cluster that ${source} does not define.`);
  }
  const userName = kc.getCurrentUser()?.name ?? 'unknown';
  return {
    kc,
    contextName,
    server: cluster.server,
    userName,
    displayName: `context "${contextName}" (server ${serverHost(cluster.server)})`,
  };
}

function load(read: () => void, source: string): void {
  try {
    read();
  } catch (error) {
    // The library's messages can quote YAML; keep only the first line, which names the problem.
    const firstLine = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new UserError(`Cannot read the kubeconfig from ${source}: ${firstLine}`);
  }
}
