// `serverless remove`: deletes everything this service/stage owns (found by its labels over the
// provider's kinds), nothing else, and waits until it is gone.
import type { Command } from './context.js';
import { stringOption, parseWaitTimeout } from './options.js';
import { deleteObjects, listOwned } from './owned.js';
import { countOf, objectRef } from './report.js';

const DEFAULT_REMOVE_WAIT_MS = 120_000;

export const removeCommand: Command = async (ctx) => {
  const { model, provider } = ctx;
  const { log, progress } = ctx.utils;
  const client = await ctx.cluster();
  const owned = await listOwned(client, model, provider);
  if (owned.length === 0) {
    log.success(
      `Nothing to remove: ${model.service} (stage ${model.stage}) owns no objects on ${client.clusterName}`,
    );
    return;
  }
  const removing = progress.create({
    message: `Removing ${countOf(owned.length, 'object')} from ${client.clusterName}`,
  });
  try {
    await deleteObjects(client, owned);
    removing.update(`Waiting for ${countOf(owned.length, 'object')} to be gone`);
    await client.waitGone(
      owned,
      parseWaitTimeout(stringOption(ctx.options, 'wait-timeout'), DEFAULT_REMOVE_WAIT_MS),
    );
  } finally {
    removing.remove();
  }
  log.success(
    `Removed ${model.service} (stage ${model.stage}): ${countOf(owned.length, 'object')} deleted from ${client.clusterName}`,
  );
  for (const object of owned) log.verbose(`  deleted ${objectRef(object, model.namespace)}`);
};
