// The API server URL of the kubeconfig's current (or named) context, read from the files alone:
// no credentials, no network, no @kubernetes/client-node. For what is rendered from it (Kubeless's
// default ingress host), not for connecting.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import yaml from 'js-yaml';

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name?: string; context?: { cluster?: string } }[];
  clusters?: { name?: string; cluster?: { server?: string } }[];
}

function kubeconfigFiles(): string[] {
  const listed = process.env.KUBECONFIG?.split(delimiter).filter((file) => file.length > 0) ?? [];
  const files = listed.length > 0 ? listed : [join(homedir(), '.kube', 'config')];
  return files.filter((file) => existsSync(file));
}

/** Undefined when there is no kubeconfig or it names no server for that context. */
export function kubeconfigServer(context?: string): string | undefined {
  const documents: KubeconfigFile[] = [];
  for (const file of kubeconfigFiles()) {
    try {
      const loaded = yaml.load(readFileSync(file, 'utf8'));
      if (loaded && typeof loaded === 'object') documents.push(loaded as KubeconfigFile);
    } catch {
      // An unreadable file leaves the server unknown; connecting reports it properly.
    }
  }
  // kubectl's merge: the first current-context and the first definition of a name win.
  const contextName = context ?? documents.find((d) => d['current-context'])?.['current-context'];
  const cluster = documents.flatMap((d) => d.contexts ?? []).find((c) => c.name === contextName)
    ?.context?.cluster;
  return documents.flatMap((d) => d.clusters ?? []).find((c) => c.name === cluster)?.cluster
    ?.server;
}
