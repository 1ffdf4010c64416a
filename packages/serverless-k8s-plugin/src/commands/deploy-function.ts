// `serverless deploy function -f NAME`: bundle, apply and wait for that function only; the
// other functions and their objects are left alone (no prune).
import type { Command } from './context.js';
import { connectEarly, rollout, waitTimeoutMs } from './deploy.js';
import { findFunction, stringOption } from './options.js';
import { bundleAndRender } from './package.js';

export const deployFunctionCommand: Command = async (ctx) => {
  const fn = findFunction(ctx.model, stringOption(ctx.options, 'function'));
  waitTimeoutMs(ctx);
  connectEarly(ctx);
  const { objects } = await bundleAndRender(ctx, { push: true, only: [fn] });
  await rollout(ctx, objects, [fn], { prune: false });
};
