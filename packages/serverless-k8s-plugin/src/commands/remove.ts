// `serverless remove`: deletes everything this service/stage owns (found by its labels over the
// provider's kinds), nothing else, and waits until it is gone.
import { UserError } from '../util/errors.js';
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
  const timeoutMs = parseWaitTimeout(
    stringOption(ctx.options, 'wait-timeout'),
    DEFAULT_REMOVE_WAIT_MS,
  );
  try {
    await deleteObjects(client, owned);
    removing.update(`Waiting for ${countOf(owned.length, 'object')} to be gone`);
    await client.waitGone(owned, timeoutMs);
    const dependents = await provider.afterRemove?.(client, owned);
    if (dependents && dependents.waitFor.length > 0) {
      removing.update(
        `Waiting for ${dependents.waitFor.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')} to be gone`,
      );
      try {
        await client.waitGone(dependents.waitFor, timeoutMs);
      } catch (error) {
        throw new UserError(
          `${(error as Error).message} They are removed by ${dependents.removedBy}; is it running?`,
        );
      }
    }
  } finally {
    removing.remove();
  }
  log.success(
    `Removed ${model.service} (stage ${model.stage}): ${countOf(owned.length, 'object')} deleted from ${client.clusterName}`,
  );
  for (const object of owned) log.verbose(`  deleted ${objectRef(object, model.namespace)}`);
};
