// Running a command orchestrator in-process against the real API server: a CommandContext whose
// utilities record what the command printed, and Pods written the way a kubelet reports them.
import { adminApi } from '../../../../test/harness/cluster.js';
import type { ClusterClient } from '../../src/cluster/types.js';
import type { CliOptions, CommandContext, PluginUtils } from '../../src/commands/context.js';
import type { ServiceModel } from '../../src/model/types.js';
import type { ProviderAdapter } from '../../src/providers/types.js';

export interface RecordedOutput {
  /** What the command wrote to stdout (writeText). */
  text: string[];
  /** log.* calls as `level: message` (log() itself is `notice`). */
  logs: string[];
  /** Progress messages, in order. */
  progress: string[];
}

export function commandContext(
  model: ServiceModel,
  provider: ProviderAdapter,
  client: ClusterClient,
  options: CliOptions = {},
): { ctx: CommandContext; output: RecordedOutput } {
  const output: RecordedOutput = { text: [], logs: [], progress: [] };
  const record = (level: string) => (message: string) => output.logs.push(`${level}: ${message}`);
  const log = Object.assign(record('notice'), {
    error: record('error'),
    warning: record('warning'),
    notice: record('notice'),
    info: record('info'),
    debug: record('debug'),
    success: record('success'),
    verbose: record('verbose'),
  });
  const utils: PluginUtils = {
    log,
    writeText: (text) => output.text.push(...(Array.isArray(text) ? text : [text])),
    progress: {
      create: ({ message }) => {
        output.progress.push(message);
        return { update: (next) => output.progress.push(next), remove: () => undefined };
      },
    },
  };
  const ctx: CommandContext = {
    model,
    provider,
    options,
    utils,
    cluster: () => Promise.resolve(client),
    outputDir: '/nonexistent',
  };
  return { ctx, output };
}

/** A Pod with the status a kubelet writes for a running container (Ready or not yet). */
export async function writePod(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  options: { ready: boolean; containerName: string; containerPort?: number; podIP?: string },
): Promise<void> {
  await adminApi().expect('POST', `/api/v1/namespaces/${namespace}/pods`, {
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels },
      spec: {
        nodeName: 'sk8s-test-node',
        automountServiceAccountToken: false,
        containers: [
          {
            name: options.containerName,
            image: 'sk8s-test/function:local',
            ...(options.containerPort ? { ports: [{ containerPort: options.containerPort }] } : {}),
          },
        ],
      },
    },
  });
  await setPodReady(namespace, name, options.ready, options.podIP);
}

export async function setPodReady(
  namespace: string,
  name: string,
  ready: boolean,
  podIP?: string,
): Promise<void> {
  const now = new Date().toISOString();
  const status = ready ? 'True' : 'False';
  await adminApi().expect('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, {
    contentType: 'application/merge-patch+json',
    body: {
      status: {
        phase: 'Running',
        ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
        conditions: [
          { type: 'Ready', status, lastTransitionTime: now },
          { type: 'ContainersReady', status, lastTransitionTime: now },
        ],
      },
    },
  });
}

/** Deletes at once (no kubelet here to finish a graceful deletion). */
export async function deletePod(namespace: string, name: string): Promise<void> {
  await adminApi().request('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, {
    query: { gracePeriodSeconds: '0' },
  });
}
