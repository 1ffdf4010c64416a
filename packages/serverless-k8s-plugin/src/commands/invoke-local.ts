// `serverless invoke local -f NAME`: bundles the function exactly as for the cluster, loads the
// bundle in this process and calls it through the runtime's invokeHandler, so event, context
// and result mapping are the ones the deployed function has. No cluster involved.
import path from 'node:path';
import {
  ConfigError,
  invokeHandler,
  loadFunction,
  type InvokeResult,
} from '@serverless-k8s/runtime';
import type { ProxyRequest } from '../cluster/types.js';
import { localRuntimeEnv, unresolvedEnv } from '../model/runtime-env.js';
import type { FunctionModel } from '../model/types.js';
import { packageFunctions } from '../packaging/index.js';
import { UserError } from '../util/errors.js';
import type { Command, CommandContext } from './context.js';
import { findFunction, givenOptions, readInvokeData, stringOption } from './options.js';
import { buildRequest, responseText } from './request.js';

/** Packages the function as for the cluster and returns the bundled module's path on disk. */
async function writeBundle(ctx: CommandContext, fn: FunctionModel): Promise<string> {
  const artifacts = await packageFunctions(ctx.model, [fn], ctx.outputDir);
  const artifact = artifacts.get(fn.key);
  if (!artifact?.bundleDir) throw new Error(`packaging produced no bundle for ${fn.key}`);
  return path.join(artifact.bundleDir, artifact.moduleFileName);
}

export const invokeLocalCommand: Command = async (ctx) => {
  const fn = findFunction(ctx.model, stringOption(ctx.options, 'function'));
  const ignored = givenOptions(ctx.options, ['context', 'contextPath', 'docker', 'docker-arg']);
  if (ignored.length > 0) ctx.utils.log.warning(`${ignored.join(', ')} ignored (AWS Lambda only).`);
  if (!fn.handler) {
    throw new UserError(
      `Function ${fn.key} runs a prebuilt image (${fn.image ?? 'image:'}); invoke local needs a handler.`,
    );
  }
  const request = buildRequest(
    ctx.options,
    await readInvokeData(ctx.options, ctx.model.servicePath),
  );
  const modulePath = await writeBundle(ctx, fn);
  const unresolved = unresolvedEnv(fn);
  if (unresolved.length > 0) {
    ctx.utils.log.warning(
      `Environment variables from Secrets/ConfigMaps are not set locally: ${unresolved.join(', ')} (export them to test with values).`,
    );
  }
  // The handler (and invokeHandler's settings) run in this process: it gets the pod's environment.
  Object.assign(process.env, localRuntimeEnv(ctx.model, fn, modulePath));
  const result = await runLocally(modulePath, fn.handler.exportName, request);
  const headers = Object.fromEntries(
    Object.entries(result.headers).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(', ') : String(value),
    ]),
  );
  ctx.utils.writeText(
    responseText(fn.name, { status: result.statusCode, headers, body: result.body }),
  );
};

/** Loads the bundle (running its `init` like the server does) and sends the request through it. */
async function runLocally(
  modulePath: string,
  exportName: string,
  request: ProxyRequest,
): Promise<InvokeResult> {
  try {
    const loaded = await loadFunction(modulePath, exportName);
    await loaded.init?.();
    try {
      return await invokeHandler(loaded.handler, request);
    } finally {
      await loaded.shutdown?.();
    }
  } catch (error) {
    // A module that does not load or export the handler is the user's to fix, not a crash.
    if (error instanceof ConfigError) throw new UserError(error.message);
    throw error;
  }
}
