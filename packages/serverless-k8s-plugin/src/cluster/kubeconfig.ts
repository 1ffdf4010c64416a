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

type KubeconfigSource =
  { kind: 'list'; files: string[]; label: string } | { kind: 'default'; label: string };

/** Where the default lookup reads from, in kubectl's order; undefined when nothing exists. */
function defaultSource(): KubeconfigSource | undefined {
  const listed = process.env.KUBECONFIG?.split(delimiter).filter((file) => file.length > 0) ?? [];
  if (listed.length > 0) {
    // kubectl skips list entries that do not exist.
    const files = listed.filter((file) => existsSync(file));
    if (files.length === 0)
      throw new UserError(`None of the files in KUBECONFIG exists: ${listed.join(delimiter)}`);
    return { kind: 'list', files, label: `KUBECONFIG (${files.join(delimiter)})` };
  }
  const home = join(homedir(), '.kube', 'config');
  if (existsSync(home)) return { kind: 'default', label: home };
  if (existsSync(SERVICE_ACCOUNT_TOKEN))
    return { kind: 'default', label: 'in-cluster service account' };
  return undefined;
}

/**
 * Merges a KUBECONFIG list the way kubectl does: the first file that sets a current-context wins,
 * and so does the first definition of a cluster, user or context name (the library would throw).
 */
function loadList(KubeConfigClass: new () => KubeConfig, kc: KubeConfig, files: string[]): void {
  for (const file of files) {
    const part = new KubeConfigClass();
    load(() => part.loadFromFile(file), file);
    if (!kc.getCurrentContext() && part.getCurrentContext())
      kc.setCurrentContext(part.getCurrentContext());
    for (const cluster of part.getClusters())
      if (!kc.getCluster(cluster.name)) kc.addCluster(cluster);
    for (const user of part.getUsers()) if (!kc.getUser(user.name)) kc.addUser(user);
    for (const context of part.getContexts())
      if (!kc.getContextObject(context.name)) kc.addContext(context);
  }
}

/** `host:port` of a server URL, for messages. */
export function serverHost(server: string): string {
  try {
    return new URL(server).host || server;
  } catch {
    return server;
  }
}

export function loadKubeconfig(
  KubeConfigClass: new () => KubeConfig,
  options: KubeconfigOptions,
): LoadedKubeconfig {
  const kc = new KubeConfigClass();
  let source: string;
  if (options.kubeconfigPath) {
    source = options.kubeconfigPath;
    if (!existsSync(source)) throw new UserError(`kubeconfig file ${source} does not exist`);
    load(() => kc.loadFromFile(source), source);
  } else {
    const found = defaultSource();
    if (!found) {
      throw new UserError(
        'No Kubernetes configuration found: set KUBECONFIG, create ~/.kube/config, or run inside a cluster ' +
          '(service account token).',
      );
    }
    source = found.label;
    if (found.kind === 'list') loadList(KubeConfigClass, kc, found.files);
    else load(() => kc.loadFromDefault(), source);
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
    throw new UserError(
      `kubeconfig context "${contextName}" refers to a cluster that ${source} does not define.`,
    );
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
