// `serverless invoke -f NAME`: one HTTP request to the function — to its own route when the
// provider has one reachable from here (Knative), else through the API server's service proxy
// (no ingress needed, like `kubeless function call`); prints the body.
import type { Command } from './context.js';
import { printRecentLogs } from './logs.js';
import {
  booleanOption,
  findFunction,
  givenOptions,
  readInvokeData,
  stringOption,
} from './options.js';
import { buildRequest, responseText } from './request.js';
import { sendToRoute } from './route.js';

const RECENT_LOG_LINES = 20;
/** How long to try connecting to a route before going through the API server instead. */
const ROUTE_CONNECT_TIMEOUT_MS = 3000;

export const invokeCommand: Command = async (ctx) => {
  const fn = findFunction(ctx.model, stringOption(ctx.options, 'function'));
  const ignored = givenOptions(ctx.options, ['qualifier', 'context', 'contextPath']);
  if (ignored.length > 0) ctx.utils.log.warning(`${ignored.join(', ')} ignored (AWS Lambda only).`);
  const request = buildRequest(
    ctx.options,
    await readInvokeData(ctx.options, ctx.model.servicePath),
  );
  const client = await ctx.cluster();
  const target = await ctx.provider.proxyTarget(client, fn);
  let response;
  if (target.routeUrl && !booleanOption(ctx.options, 'via-proxy', false)) {
    const routed = await sendToRoute(target.routeUrl, request, ROUTE_CONNECT_TIMEOUT_MS);
    if (routed.reached) {
      ctx.utils.log.verbose(`${request.method} ${request.path} → ${target.routeUrl}`);
      response = routed.response;
    } else {
      ctx.utils.log.verbose(
        `${target.routeUrl} is not reachable from here (${routed.reason}); going through the API server`,
      );
    }
  }
  if (!response) {
    ctx.utils.log.verbose(
      `${request.method} ${request.path} → service ${target.namespace}/${target.service}:${target.port} via ${client.clusterName}`,
    );
    response = await client.proxy(target.namespace, target.service, target.port, request);
  }
  let failure: unknown;
  try {
    ctx.utils.writeText(responseText(fn.name, response));
  } catch (error) {
    failure = error;
  }
  // Recent logs explain a failed call best, so they are shown before the error is raised.
  if (booleanOption(ctx.options, 'log', false))
    await printRecentLogs(ctx, client, fn, RECENT_LOG_LINES);
  if (failure !== undefined) throw failure;
};
