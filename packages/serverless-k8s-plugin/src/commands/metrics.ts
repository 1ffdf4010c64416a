// `serverless metrics [-f NAME]`: the runtime's counters read from its /metrics endpoint
// through the API server's service proxy (calls, failures, total and average duration).
import type { ClusterClient, ProxyResponse } from '../cluster/types.js';
import type { FunctionModel } from '../model/types.js';
import { UserError } from '../util/errors.js';
import type { Command, CommandContext } from './context.js';
import { givenOptions, selectFunctions, stringOption } from './options.js';
import { parsePrometheusText, summarizeMetrics, type FunctionMetrics } from './prometheus.js';
import { metricsTable } from './report.js';

/** The function's metrics, or why they could not be read (shown in the table instead of numbers). */
async function readMetrics(
  ctx: CommandContext,
  client: ClusterClient,
  fn: FunctionModel,
): Promise<FunctionMetrics | string> {
  let response: ProxyResponse;
  try {
    const target = await ctx.provider.proxyTarget(client, fn);
    response = await client.proxy(target.namespace, target.service, target.port, {
      method: 'GET',
      path: '/metrics',
      headers: { accept: 'text/plain' },
    });
  } catch (error) {
    // One function not deployed or not reachable should not hide the others' numbers.
    if (error instanceof UserError) return error.message;
    throw error;
  }
  if (response.status !== 200) return `HTTP ${response.status} from /metrics`;
  try {
    return summarizeMetrics(parsePrometheusText(response.body.toString('utf8')));
  } catch (error) {
    return (error as Error).message;
  }
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
  const rows: { name: string; metrics: FunctionMetrics | string }[] = [];
  for (const fn of functions)
    rows.push({ name: fn.name, metrics: await readMetrics(ctx, client, fn) });
  ctx.utils.writeText(metricsTable(rows));
};
