import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hasBody, readBody, type RequestError } from './body.js';
import {
  resolveSettings,
  type Env,
  type RuntimeSettings,
  type SettingsOverrides,
} from './config.js';
import { ServerDrain } from './drain.js';
import { answerRuntimeEndpoint, type Lifecycle } from './health.js';
import { Invoker } from './invoke.js';
import { loadFunction, resolveModulePath } from './loader.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { stackOf } from './reply.js';
import type { AnyHandler, FunctionModule, Logger } from './types.js';

/** The request pipeline for one loaded function, independent of any socket. */
export class Runtime {
  readonly lifecycle: Lifecycle = { ready: false, draining: false };
  readonly metrics: Metrics;
  private readonly invoker: Invoker;
  private initializing: Promise<void> | undefined;

  constructor(
    readonly fn: FunctionModule,
    readonly settings: RuntimeSettings,
    readonly log: Logger,
  ) {
    this.metrics = new Metrics({
      function: settings.moduleName,
      handler: settings.handlerName,
      runtime: settings.runtime,
    });
    this.invoker = new Invoker(fn.handler, settings, this.metrics, log);
  }

  /** Runs the module's init() once; readiness and the handler wait for it. */
  initialize(): Promise<void> {
    this.initializing ??= Promise.resolve(this.fn.init?.()).then(() => {
      this.lifecycle.ready = true;
    });
    return this.initializing;
  }

  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    const lifecycle = this.lifecycle;
    const method = req.method;
    if (method === 'GET' && answerRuntimeEndpoint(req.url ?? '/', res, lifecycle, this.metrics))
      return;
    if (this.settings.cors) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      if (method === 'OPTIONS') {
        answerPreflight(req, res);
        return;
      }
    }
    if (!lifecycle.ready) {
      this.initialize().then(
        () => this.dispatch(req, res),
        () => this.invoker.sendRequestError(res, new Error('function init() failed')),
      );
      return;
    }
    this.dispatch(req, res);
  };

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    if (!hasBody(req)) {
      this.invoker.invoke(req, res, undefined);
      return;
    }
    readBody(req, this.settings.bodyLimit, (error, body) => {
      if (error === null) this.invoker.invoke(req, res, body);
      else if ('statusCode' in error) this.invoker.sendRequestError(res, error as RequestError);
      // Otherwise the client went away mid-body: nobody is left to answer.
    });
  }
}

/** CORS preflight answered like Kubeless: any requested method and headers are allowed. */
function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  const method = req.headers['access-control-request-method'];
  const headers = req.headers['access-control-request-headers'];
  if (method) res.setHeader('Access-Control-Allow-Methods', method);
  if (headers) res.setHeader('Access-Control-Allow-Headers', headers);
  res.statusCode = 200;
  res.end();
}

export interface StartOptions extends SettingsOverrides {
  /** Path to the function module (CommonJS or ESM); else MOD_NAME as Kubeless. */
  module?: string;
  /** A handler (or handler plus init/shutdown) to serve instead of loading a module. */
  handler?: AnyHandler | FunctionModule;
  /** Environment to read the Kubeless variables from (default process.env). */
  env?: Env;
  /** Drain and exit(0) on SIGTERM/SIGINT (the CLI sets this). */
  handleSignals?: boolean;
  logger?: Logger;
}

export interface RuntimeHandle {
  readonly port: number;
  readonly host: string;
  readonly server: Server;
  readonly runtime: Runtime;
  /** Stops accepting, lets in-flight requests finish (grace period), then runs shutdown(). */
  close(): Promise<void>;
}

async function listen(server: Server, port: number, host: string | undefined): Promise<string> {
  const attempt = (address: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once('error', onError);
      server.listen(port, address, () => {
        server.off('error', onError);
        resolve();
      });
    });
  if (host !== undefined) {
    await attempt(host);
    return host;
  }
  try {
    await attempt('::');
    return '::';
  } catch (error) {
    // No IPv6 on this host: all IPv4 interfaces is the next best "everywhere".
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw error;
    await attempt('0.0.0.0');
    return '0.0.0.0';
  }
}

/** Loads the function, serves it over HTTP and resolves once listening and init() is done. */
export async function start(options: StartOptions = {}): Promise<RuntimeHandle> {
  const env = options.env ?? process.env;
  let fn: FunctionModule;
  let settings: RuntimeSettings;
  if (options.handler !== undefined) {
    fn = typeof options.handler === 'function' ? { handler: options.handler } : options.handler;
    settings = resolveSettings(env, options);
  } else {
    const modulePath = resolveModulePath(options.module, env);
    settings = resolveSettings(env, { ...options, modulePath });
    fn = await loadFunction(modulePath, settings.handlerName);
  }
  const log = options.logger ?? createLogger(settings.handlerName, settings.logLevel);
  const runtime = new Runtime(fn, settings, log);

  const shortestClientTimeout = Math.min(settings.headersTimeout, settings.requestTimeout);
  const server = createServer({
    keepAlive: true,
    headersTimeout: settings.headersTimeout,
    requestTimeout: settings.requestTimeout,
    keepAliveTimeout: settings.keepAliveTimeout,
    // Slow clients are only noticed when this check runs; keep it well under the timeouts.
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, shortestClientTimeout / 4)),
  });
  const serverDrain = new ServerDrain(server, runtime.lifecycle, log);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    serverDrain.track(req, res);
    runtime.listener(req, res);
  });
  const host = await listen(server, settings.port, settings.host);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : settings.port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= serverDrain
      .run(settings.gracePeriod * 1000, runtime.metrics.inFlight())
      .then(() => runShutdownHook(runtime));
    return closing;
  };
  const handle: RuntimeHandle = { port, host, server, runtime, close };

  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info(`Received ${signal}, draining`, { signal });
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  try {
    await runtime.initialize();
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  return handle;
}

async function runShutdownHook(runtime: Runtime): Promise<void> {
  if (!runtime.fn.shutdown) return;
  try {
    await runtime.fn.shutdown();
  } catch (error) {
    runtime.log.error('shutdown() failed', { error: stackOf(error) });
  }
}
