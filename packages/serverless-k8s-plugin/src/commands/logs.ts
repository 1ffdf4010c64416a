// `serverless logs -f NAME`: every pod of the function through the pods/log API, prefixed by pod
// when there are several; -t follows until Ctrl-C. Also the recent lines `invoke -l` shows.
import type { ClusterClient } from '../cluster/types.js';
import { parseSince, streamLogs } from '../cluster/logs.js';
import type { FunctionModel } from '../model/types.js';
import type { Command, CommandContext } from './context.js';
import { booleanOption, findFunction, parseCount, parseFilter, stringOption } from './options.js';
import { countOf } from './report.js';

/** An AbortSignal fired by the first Ctrl-C (or SIGTERM), and how to stop listening. */
function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

export const logsCommand: Command = async (ctx) => {
  const fn = findFunction(ctx.model, stringOption(ctx.options, 'function'));
  const startTime = stringOption(ctx.options, 'startTime');
  const follow = booleanOption(ctx.options, 'tail', false);
  const filter = parseFilter(stringOption(ctx.options, 'filter'));
  const tailLines = parseCount(stringOption(ctx.options, 'count'));
  const client = await ctx.cluster();
  const interrupt = follow ? interruptSignal() : undefined;
  try {
    const result = await streamLogs(client, {
      namespace: fn.namespace,
      selector: ctx.provider.podSelector(fn),
      container: ctx.provider.containerName(fn),
      follow,
      ...(startTime === undefined ? {} : parseSince(startTime)),
      tailLines,
      filter,
      write: (line) => ctx.utils.writeText(line),
      warn: (message) => ctx.utils.log.warning(message),
      signal: interrupt?.signal,
    });
    if (result.pods.length === 0) {
      ctx.utils.log.warning(
        `${fn.name} has no pods in namespace ${fn.namespace} (not deployed, or scaled to zero).`,
      );
    } else if (result.lines === 0 && !follow) {
      ctx.utils.log.notice(
        `No log lines${filter ? ' matching the filter' : ''} from ${countOf(result.pods.length, 'pod')} of ${fn.name}.`,
      );
    }
  } finally {
    interrupt?.dispose();
  }
};

/** The last lines of each pod of the function, after an invoke (`-l`). Never fails the invoke. */
export async function printRecentLogs(
  ctx: CommandContext,
  client: ClusterClient,
  fn: FunctionModel,
  tailLines: number,
): Promise<void> {
  ctx.utils.log.notice(`--- recent logs of ${fn.name} ---`);
  try {
    await streamLogs(client, {
      namespace: fn.namespace,
      selector: ctx.provider.podSelector(fn),
      container: ctx.provider.containerName(fn),
      follow: false,
      tailLines,
      write: (line) => ctx.utils.log.notice(line),
      warn: (message) => ctx.utils.log.warning(message),
    });
  } catch (error) {
    ctx.utils.log.warning(`Could not read the logs of ${fn.name}: ${(error as Error).message}`);
  }
}
