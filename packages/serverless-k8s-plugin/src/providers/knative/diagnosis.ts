// Why a revision's pods fail (waiting reason, exit code, last log lines of user-container).
import type { ClusterClient, KubeObject } from '../../cluster/types.js';
import type { FunctionModel } from '../../model/types.js';
import { SERVICE_LABEL, USER_CONTAINER } from './api.js';

const REVISION_LABEL = 'serving.knative.dev/revision';
const LOG_LINES = 20;

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: Record<string, { reason?: string; message?: string; exitCode?: number } | undefined>;
  lastState?: Record<string, { reason?: string; message?: string; exitCode?: number } | undefined>;
}

function containerProblem(status: ContainerStatus): string | undefined {
  const waiting = status.state?.waiting;
  const terminated = status.state?.terminated ?? status.lastState?.terminated;
  const parts: string[] = [];
  if (waiting?.reason)
    parts.push(`${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`);
  if (terminated)
    parts.push(
      `exit code ${terminated.exitCode ?? '?'}${terminated.reason ? ` (${terminated.reason})` : ''}`,
    );
  if (status.restartCount) parts.push(`${status.restartCount} restarts`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

async function logTail(client: ClusterClient, pod: KubeObject): Promise<string> {
  try {
    const stream = await client.podLogs(pod.metadata.namespace ?? '', pod.metadata.name, {
      container: USER_CONTAINER,
      tailLines: LOG_LINES,
    });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8').trimEnd();
  } catch {
    return ''; // logs are a bonus: a pod without a kubelet (or not started) has none
  }
}

/** A few lines on the failing pod of the revision (or of the function), or undefined when no pod says more. */
export async function diagnoseRevisionPods(
  client: ClusterClient,
  fn: FunctionModel,
  revision: string | undefined,
): Promise<string | undefined> {
  const selector = revision ? `${REVISION_LABEL}=${revision}` : `${SERVICE_LABEL}=${fn.name}`;
  const pods = await client.list('v1', 'Pod', fn.namespace, selector);
  for (const pod of pods) {
    const statuses = (
      (pod.status as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses ?? []
    ).filter((s) => s.name === USER_CONTAINER);
    const problem = statuses.map(containerProblem).find((p) => p !== undefined);
    if (!problem) continue;
    const logs = await logTail(client, pod);
    return `pod ${pod.metadata.name}: ${problem}${logs ? `\nlast log lines:\n${logs}` : ''}`;
  }
  return undefined;
}
