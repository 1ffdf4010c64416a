// `serverless metrics [-f NAME]`: the runtime's counters read from the /metrics endpoint of every
// Ready pod of the function through the API server's pod proxy (the service proxy would reach one
// pod per call), summed: calls, failures, total and average duration.
import { isPodReady, type PodView } from '../cluster/pods.js';
import type { ClusterClient } from '../cluster/types.js';
import type { FunctionModel } from '../model/types.js';
import { UserError } from '../util/errors.js';
import type { Command, CommandContext } from './context.js';
import { givenOptions, selectFunctions, stringOption } from './options.js';
import {
  combineMetrics,
  parsePrometheusText,
  summarizeMetrics,
  type FunctionMetrics,
} from './prometheus.js';
import { metricsTable, type MetricsRow } from './report.js';

interface PodPorts {
  spec?: { containers?: { name: string; ports?: { containerPort: number }[] }[] };
}

/** The port the runtime listens on: the function container's first port, else the model's. */
export function metricsPort(
  pod: PodPorts,
  container: string | undefined,
  fallback: number,
): number {
  const containers = pod.spec?.containers ?? [];
  const own =
    containers.find((candidate) => candidate.name === container) ??
    (containers.length === 1 ? containers[0] : undefined);
  return own?.ports?.[0]?.containerPort ?? fallback;
}

/** One pod's counters, or why they could not be read. */
async function readPod(
  client: ClusterClient,
  fn: FunctionModel,
  pod: PodView & PodPorts,
  container: string | undefined,
): Promise<FunctionMetrics | string> {
  try {
    const port = metricsPort(pod, container, fn.port);
    const response = await client.podProxy(fn.namespace, pod.metadata.name, port, {
      method: 'GET',
      path: '/metrics',
      headers: { accept: 'text/plain' },
      timeoutMs: 30_000,
    });
    if (response.status !== 200) return `HTTP ${response.status} from /metrics`;
    return summarizeMetrics(parsePrometheusText(response.body.toString('utf8')));
  } catch (error) {
    // An unreadable pod (just stopping, unparsable output) is named; the others still count.
    if (error instanceof Error) return error.message;
    throw error;
  }
}

/** The function's row, and a note for each Ready pod that could not be read. */
async function readFunction(
  ctx: CommandContext,
  client: ClusterClient,
  fn: FunctionModel,
): Promise<{ row: MetricsRow; notes: string[] }> {
  let pods: (PodView & PodPorts)[];
  try {
    const listed = await client.list('v1', 'Pod', fn.namespace, ctx.provider.podSelector(fn));
    pods = (listed as unknown as (PodView & PodPorts)[]).filter(
      (pod) => !pod.metadata.deletionTimestamp && isPodReady(pod),
    );
  } catch (error) {
    if (error instanceof UserError)
      return { row: { name: fn.name, pods: 0, metrics: error.message }, notes: [] };
    throw error;
  }
  if (pods.length === 0) {
    const metrics = `no ready pods in namespace "${fn.namespace}": is the function deployed?`;
    return { row: { name: fn.name, pods: 0, metrics }, notes: [] };
  }
  const container = ctx.provider.containerName(fn);
  const results = await Promise.all(pods.map((pod) => readPod(client, fn, pod, container)));
  const read = results.filter((result): result is FunctionMetrics => typeof result !== 'string');
  const notes = results.flatMap((result, index) =>
    typeof result === 'string'
      ? [`${fn.name}: pod ${pods[index]?.metadata.name} not counted: ${result}`]
      : [],
  );
  const metrics =
    read.length > 0
      ? combineMetrics(read)
      : `/metrics of none of its ${pods.length} ready pods could be read`;
  return { row: { name: fn.name, pods: read.length, metrics }, notes };
}

export const metricsCommand: Command = async (ctx) => {
  const functions = selectFunctions(ctx.model, stringOption(ctx.options, 'function'));
  const ignored = givenOptions(ctx.options, ['startTime', 'endTime']);
  if (ignored.length > 0) {
    ctx.utils.log.warning(
      `${ignored.join(', ')} ignored: the runtime counts calls since its pod started.`,
    );
  }
  const client = await ctx.cluster();
  const results = [];
  for (const fn of functions) results.push(await readFunction(ctx, client, fn));
  ctx.utils.writeText(metricsTable(results.map((result) => result.row)));
  for (const note of results.flatMap((result) => result.notes)) ctx.utils.log.warning(note);
};
