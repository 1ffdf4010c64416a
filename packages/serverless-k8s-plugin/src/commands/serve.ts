// `serverless serve`: the service's functions on one local port (what serverless-offline is for
// AWS), each in a process of the runtime the cluster runs. Stops on Ctrl-C.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { startServe, type ServeLog } from '../serve/server.js';
import { UserError } from '../util/errors.js';
import type { Command, CommandContext } from './context.js';
import { booleanOption, selectFunctions, stringOption } from './options.js';

const RUNTIME_PACKAGE = path.join('@serverless-k8s', 'runtime');

function runtimeCliIn(packageDir: string): string | undefined {
  const manifestFile = path.join(packageDir, 'package.json');
  if (!existsSync(manifestFile)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    bin?: string | Record<string, string>;
  };
  const bin =
    typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.['serverless-k8s-runtime'];
  return bin === undefined ? undefined : path.join(packageDir, bin);
}

/**
 * The runtime's bin, found as Node would find the package from the service: the service's own
 * `@serverless-k8s/runtime`, else the one the installed plugin depends on.
 */
export function resolveRuntimeCli(servicePath: string): string {
  for (let directory = servicePath; ; directory = path.dirname(directory)) {
    const modules = path.join(directory, 'node_modules');
    const candidates = [path.join(modules, RUNTIME_PACKAGE)];
    const plugin = path.join(modules, 'serverless-k8s');
    if (existsSync(plugin))
      candidates.push(path.join(realpathSync(plugin), 'node_modules', RUNTIME_PACKAGE));
    for (const candidate of candidates) {
      const cli = runtimeCliIn(candidate);
      if (cli === undefined) continue;
      if (!existsSync(cli)) {
        throw new UserError(
          `${cli} is missing: @serverless-k8s/runtime is installed but not built (run its build).`,
        );
      }
      return cli;
    }
    if (path.dirname(directory) === directory) break;
  }
  throw new UserError(
    'serve runs functions with @serverless-k8s/runtime, which is not installed here: npm install --save-dev @serverless-k8s/runtime',
  );
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 3000;
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65535) {
    throw new UserError(`--port "${text}" is not a port number (0-65535; 0 picks a free one).`);
  }
  return port;
}

/** Runs until `stopped` settles; exported so tests can stop it without signalling the process. */
export async function runServe(ctx: CommandContext, stopped: Promise<unknown>): Promise<void> {
  const { log } = ctx.utils;
  const port = parsePort(stringOption(ctx.options, 'port'));
  const host = stringOption(ctx.options, 'host') ?? '127.0.0.1';
  const functions = selectFunctions(ctx.model, stringOption(ctx.options, 'function'));
  const serveLog: ServeLog = {
    info: (message) => log.notice(message),
    warning: (message) => log.warning(message),
    error: (message) => log.error(message),
    output: (functionKey, line) => log.notice(`[${functionKey}] ${line}`),
  };
  const handle = await startServe({
    model: ctx.model,
    functions,
    port,
    host,
    runtimeCli: resolveRuntimeCli(ctx.model.servicePath),
    buildDir: path.join(ctx.outputDir, 'serve'),
    log: serveLog,
    watch: booleanOption(ctx.options, 'watch', true),
  }).catch((error: Error) => {
    if (error instanceof UserError) throw error;
    throw new UserError(`serve could not start: ${error.message}`);
  });

  const lines = [`Serving ${functions.length} function(s) at ${handle.url}`];
  for (const route of handle.routes) {
    lines.push(
      `  ${(route.method ?? 'ANY').padEnd(6)} ${handle.url}${route.path}  → ${route.functionKey}`,
    );
  }
  for (const { job, due } of handle.schedules) {
    const next = due ? due.toISOString() : 'never';
    lines.push(
      `  cron   ${job.cron}  → ${job.functionKey} (next ${next}; now: POST ${handle.url}/__sk8s/schedule/${job.functionKey}/${job.eventName})`,
    );
  }
  lines.push(`  events POST ${handle.url}/__sk8s/events/<function> (CloudEvents, queue messages)`);
  log.notice(lines.join('\n'));
  try {
    await stopped;
  } finally {
    await handle.close();
  }
}

function untilInterrupted(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export const serve: Command = (ctx) => runServe(ctx, untilInterrupted());
