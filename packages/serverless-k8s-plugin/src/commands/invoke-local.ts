// `serverless invoke local -f NAME`: bundles the function exactly as for the cluster, loads the
// bundle in this process and calls it through the runtime's invokeHandler, so event, context
// and result mapping are the ones the deployed function has. No cluster involved.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ConfigError,
  invokeHandler,
  loadFunction,
  type InvokeResult,
} from '@serverless-k8s/runtime';
import type { ProxyRequest } from '../cluster/types.js';
import type { FunctionModel } from '../model/types.js';
import { packageFunctions } from '../packaging/index.js';
import { UserError } from '../util/errors.js';
import type { Command, CommandContext } from './context.js';
import { findFunction, givenOptions, readInvokeData, stringOption } from './options.js';
import { buildRequest, responseText } from './request.js';

/** Writes the function's bundle under .serverless/invoke-local/<key>/ and returns the module path. */
async function writeBundle(ctx: CommandContext, fn: FunctionModel): Promise<string> {
  const artifacts = await packageFunctions(ctx.model, [fn], ctx.outputDir);
  const artifact = artifacts.get(fn.key);
  if (!artifact) throw new Error(`packaging produced no artifact for ${fn.key}`);
  const directory = path.join(ctx.outputDir, 'invoke-local', fn.key);
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true });
  for (const [name, content] of Object.entries(artifact.files)) {
    await mkdir(path.dirname(path.join(directory, name)), { recursive: true });
    await writeFile(path.join(directory, name), content);
  }
  return path.join(directory, artifact.moduleFileName);
}

/**
 * The function's environment as the pod would have it: plain values are set, values from
 * Secrets/ConfigMaps cannot be resolved locally and are named so the user can export them.
 */
function functionEnvironment(fn: FunctionModel): {
  values: Record<string, string>;
  unresolved: string[];
} {
  const values: Record<string, string> = {};
  const unresolved: string[] = [];
  for (const variable of fn.environment) {
    if (variable.value !== undefined) values[variable.name] = variable.value;
    else if (process.env[variable.name] === undefined) unresolved.push(variable.name);
  }
  return { values, unresolved };
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
  const { values, unresolved } = functionEnvironment(fn);
  if (unresolved.length > 0) {
    ctx.utils.log.warning(
      `Environment variables from Secrets/ConfigMaps are not set locally: ${unresolved.join(', ')} (export them to test with values).`,
    );
  }
  // The handler reads the environment the pod would give it (values from the shell win).
  for (const [name, value] of Object.entries(values)) process.env[name] ??= value;
  const env = {
    ...process.env,
    FUNC_HANDLER: fn.handler.exportName,
    MOD_NAME: path.basename(modulePath, '.js'),
    FUNC_TIMEOUT: String(fn.timeout),
    FUNC_RUNTIME: fn.runtime,
    FUNC_MEMORY_LIMIT: fn.memorySize ?? '',
  };
  const result = await runLocally(modulePath, fn.handler.exportName, request, env);
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
  env: Record<string, string | undefined>,
): Promise<InvokeResult> {
  try {
    const loaded = await loadFunction(modulePath, exportName);
    await loaded.init?.();
    try {
      return await invokeHandler(loaded.handler, request, { env });
    } finally {
      await loaded.shutdown?.();
    }
  } catch (error) {
    // A module that does not load or export the handler is the user's to fix, not a crash.
    if (error instanceof ConfigError) throw new UserError(error.message);
    throw error;
  }
}
