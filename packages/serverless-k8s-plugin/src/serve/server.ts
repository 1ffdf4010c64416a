// `serve`: every function of the service behind one local port. Requests are routed by the http
// events' paths and methods to the function's own runtime process; schedule events fire on time
// (and on demand); CloudEvents are accepted at the function's path or /__sk8s/events/<fn>; a
// source change rebuilds and restarts only the functions whose bundle changed, on the same port.
import { randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { watch, type FSWatcher } from 'node:fs';
import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import path from 'node:path';
import type { FunctionModel, ServiceModel } from '../model/types.js';
import { localRuntimeEnv, unresolvedEnv } from '../model/runtime-env.js';
import { UserError } from '../util/errors.js';
import {
  buildFunctions,
  isSourceFile,
  notServed,
  sourceDirectories,
  type BuiltFunction,
} from './builder.js';
import { describeRoute, matchRoute, routesOf, targetPath, type Route } from './router.js';
import { CronScheduler, type ScheduledJob } from './scheduler.js';
import { FunctionWorker } from './worker.js';

export interface ServeLog {
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** A line the function process printed. */
  output(functionKey: string, line: string, stream: 'stdout' | 'stderr'): void;
}

export interface ServeOptions {
  model: ServiceModel;
  /** The functions to serve; all of the model's by default. */
  functions?: FunctionModel[];
  /** 0 picks a free port. */
  port: number;
  host: string;
  /** The runtime's bin (dist/cli.js of @serverless-k8s/runtime). */
  runtimeCli: string;
  /** Where bundles go (under .serverless/ so externals still resolve from the service). */
  buildDir: string;
  log: ServeLog;
  /** Clock for the scheduler (tests stand it just before a minute boundary). */
  now?: () => number;
  /** Rebuild and restart on source changes (default true). */
  watch?: boolean;
  /** Quiet period after a change before rebuilding. */
  debounceMs?: number;
}

export interface ServeHandle {
  url: string;
  port: number;
  routes: Route[];
  schedules: { job: ScheduledJob; due?: Date }[];
  /** Rebuilds and restarts the functions whose bundle changed (what a file change triggers). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export interface DeliveredResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Slot {
  fn: FunctionModel;
  worker?: FunctionWorker;
  hash?: string;
  /** Why the function is not running (start failure), shown to callers. */
  problem?: string;
}

const CONTROL_PREFIX = '/__sk8s/';
const LOOPBACK = '127.0.0.1';

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function isCloudEvent(headers: IncomingHttpHeaders): boolean {
  return (
    headers['ce-specversion'] !== undefined ||
    /^application\/cloudevents/.test(headers['content-type'] ?? '')
  );
}

/** What the cluster's schedule source sends: Kubeless CronJobTrigger headers or a Knative PingSource CloudEvent. */
function scheduleRequest(model: ServiceModel, fn: FunctionModel, job: ScheduledJob, time: Date) {
  const event = fn.events.find(
    (candidate) => candidate.kind === 'schedule' && candidate.name === job.eventName,
  );
  const payload = event?.kind === 'schedule' ? event.payload : undefined;
  const isText = typeof payload === 'string';
  const body =
    payload === undefined
      ? Buffer.alloc(0)
      : Buffer.from(isText ? payload : JSON.stringify(payload));
  const contentType = isText ? 'text/plain' : 'application/json';
  const headers: Record<string, string> =
    model.provider === 'knative'
      ? {
          'ce-specversion': '1.0',
          'ce-id': randomUUID(),
          'ce-type': 'dev.knative.sources.ping',
          'ce-source': `/apis/v1/namespaces/${fn.namespace}/pingsources/${job.eventName}`,
          'ce-time': time.toISOString(),
          'content-type': contentType,
        }
      : {
          'event-id': randomUUID(),
          'event-time': time.toISOString(),
          'event-type': contentType,
          'event-namespace': 'cronjobtrigger.kubeless.io',
          'content-type': contentType,
        };
  return { method: 'POST', path: '/', headers, body };
}

export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const { model, log } = options;
  const functions = options.functions ?? model.functions;
  const slots = new Map<string, Slot>(functions.map((fn) => [fn.key, { fn }]));
  const routes = routesOf(functions, model.provider);
  let buildError: string | undefined;

  for (const fn of functions) {
    const skipped = notServed(fn);
    if (skipped)
      log.warning(`${fn.key}: ${skipped}; serve runs Node.js handlers, so it is skipped.`);
    const unresolved = unresolvedEnv(fn);
    if (unresolved.length > 0) {
      log.warning(
        `${fn.key}: ${unresolved.join(', ')} come from the cluster (valueFrom/envFrom); export them in this shell to use them with serve.`,
      );
    }
  }

  let built = new Map<string, BuiltFunction>();

  async function startWorker(slot: Slot, moduleFile: string): Promise<void> {
    const { fn } = slot;
    try {
      const worker = await FunctionWorker.start({
        functionKey: fn.key,
        runtimeCli: options.runtimeCli,
        moduleFile,
        handler: fn.handler?.exportName ?? '',
        env: localRuntimeEnv(model, fn, moduleFile),
        timeoutSeconds: fn.timeout,
        onOutput: (line, stream) => log.output(fn.key, line, stream),
        onCrash: (description) => {
          // As a crashed container: calls fail with the reason until a source change restarts it.
          slot.problem = `${description}\n(it restarts when a source file changes)`;
          log.error(slot.problem);
        },
      });
      const previous = slot.worker;
      slot.worker = worker;
      slot.problem = undefined;
      await previous?.stop();
    } catch (error) {
      slot.problem = (error as Error).message;
      log.error(slot.problem);
      const previous = slot.worker;
      slot.worker = undefined;
      await previous?.stop();
    }
  }

  let watchers: FSWatcher[] = [];
  let reloadTimer: NodeJS.Timeout | undefined;
  let reloading: Promise<void> = Promise.resolve();
  let closed = false;

  async function watchSources(): Promise<void> {
    for (const watcher of watchers) watcher.close();
    const serviceFile = path.join(model.servicePath, 'serverless.yml');
    watchers = (await sourceDirectories(model.servicePath)).map((directory) =>
      watch(directory, (_event, name) => {
        if (!name) return;
        const changed = path.join(directory, name.toString());
        if (changed === serviceFile) {
          log.warning(
            'serverless.yml changed: restart serve to apply new functions, events or settings.',
          );
        } else if (isSourceFile(changed)) {
          clearTimeout(reloadTimer);
          reloadTimer = setTimeout(() => void reload(), options.debounceMs ?? 100);
        }
      }),
    );
  }

  async function rebuild(initial: boolean): Promise<void> {
    try {
      const previous = built;
      built = await buildFunctions(model, functions, options.buildDir);
      buildError = undefined;
      // Re-scanned each time so new source directories are watched too.
      if (options.watch !== false && !closed) await watchSources();
      const changed = [...slots.values()].filter((slot) => {
        const output = built.get(slot.fn.key);
        return (
          output !== undefined &&
          (output.checksum !== previous.get(slot.fn.key)?.checksum || !slot.worker?.alive)
        );
      });
      await Promise.all(
        changed.map((slot) => startWorker(slot, built.get(slot.fn.key)!.moduleFile)),
      );
      if (!initial && changed.length > 0)
        log.info(`reloaded ${changed.map((slot) => slot.fn.key).join(', ')}`);
    } catch (error) {
      if (initial) throw error;
      // Keep serving (an error) and watching: the next save that builds recovers.
      buildError = `build failed: ${(error as Error).message}`;
      log.error(`${buildError}\n(requests get this error until the sources build again)`);
    }
  }

  function reload(): Promise<void> {
    reloading = reloading.then(() => (closed ? undefined : rebuild(false)));
    return reloading;
  }

  /** Why a request to this function cannot be served now, if it cannot. */
  function unavailable(slot: Slot): string | undefined {
    if (buildError) return buildError;
    const skipped = notServed(slot.fn);
    if (skipped) return `function ${slot.fn.key} ${skipped}, which serve does not run`;
    if (!slot.worker?.alive) return slot.problem ?? `function ${slot.fn.key} is not running`;
    return undefined;
  }

  function proxy(
    req: IncomingMessage,
    res: ServerResponse,
    slot: Slot,
    targetPath: string,
    extraHeaders: Record<string, string> = {},
  ): void {
    const problem = unavailable(slot);
    if (problem) return sendJson(res, 502, { error: problem });
    const upstream = request({
      host: LOOPBACK,
      port: slot.worker!.port,
      method: req.method,
      path: targetPath,
      headers: {
        ...req.headers,
        ...extraHeaders,
        'x-forwarded-host': req.headers.host ?? '',
        'x-forwarded-proto': 'http',
        'x-forwarded-for': req.socket.remoteAddress ?? '',
      },
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (!res.headersSent)
        sendJson(res, 502, { error: `function ${slot.fn.key}: ${error.message}` });
      else res.destroy();
    });
    // A caller that goes away aborts the call, so the handler's context.signal fires as in the cluster.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  function deliver(
    slot: Slot,
    call: { method: string; path: string; headers: Record<string, string>; body: Buffer },
  ): Promise<DeliveredResponse> {
    const problem = unavailable(slot);
    if (problem) return Promise.reject(new Error(problem));
    return new Promise((resolve, reject) => {
      const upstream = request(
        {
          host: LOOPBACK,
          port: slot.worker!.port,
          method: call.method,
          path: call.path,
          headers: { ...call.headers, 'content-length': String(call.body.length) },
        },
        (answer) => {
          buffer(answer).then(
            (body) => resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body }),
            reject,
          );
        },
      );
      upstream.on('error', reject);
      upstream.end(call.body);
    });
  }

  function fireSchedule(job: ScheduledJob, time: Date): Promise<DeliveredResponse> {
    const slot = slots.get(job.functionKey)!;
    return deliver(slot, scheduleRequest(model, slot.fn, job, time));
  }

  const jobs: ScheduledJob[] = functions.flatMap((fn) =>
    fn.events.flatMap((event) =>
      event.kind === 'schedule'
        ? [
            {
              functionKey: fn.key,
              eventName: event.name,
              cron: event.cron,
              timeZone: event.timezone,
            },
          ]
        : [],
    ),
  );
  const scheduler = new CronScheduler(jobs, {
    now: options.now,
    fire: (job, time) => {
      const started = Date.now();
      fireSchedule(job, time).then(
        (answer) =>
          log.info(
            `schedule ${job.functionKey}/${job.eventName} → ${answer.status} (${Date.now() - started} ms)`,
          ),
        (error: Error) =>
          log.error(`schedule ${job.functionKey}/${job.eventName} failed: ${error.message}`),
      );
    },
  });

  function knownEndpoints(): string[] {
    return [
      ...routes.map(describeRoute),
      ...jobs.map(
        (job) =>
          `POST   ${CONTROL_PREFIX}schedule/${job.functionKey}/${job.eventName} (fires the schedule now)`,
      ),
      ...functions.map(
        (fn) => `POST   ${CONTROL_PREFIX}events/${fn.key} (CloudEvents and queue messages)`,
      ),
    ];
  }

  async function control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const [kind, functionKey = '', ...rest] = url.pathname
      .slice(CONTROL_PREFIX.length)
      .split('/')
      .map(decodeURIComponent);
    const slot = slots.get(functionKey);
    if (kind === 'routes' && req.method === 'GET')
      return sendJson(res, 200, { routes: knownEndpoints() });
    if ((kind === 'schedule' || kind === 'events') && req.method !== 'POST') {
      return sendJson(res, 405, { error: `${url.pathname} takes POST` }, { allow: 'POST' });
    }
    if (kind === 'schedule' && slot) {
      const job = jobs.find(
        (candidate) => candidate.functionKey === functionKey && candidate.eventName === rest[0],
      );
      if (job) {
        req.resume();
        try {
          const answer = await fireSchedule(job, new Date());
          log.info(`schedule ${job.functionKey}/${job.eventName} (on demand) → ${answer.status}`);
          const headers: Record<string, string> = {};
          if (answer.headers['content-type'])
            headers['content-type'] = answer.headers['content-type'];
          res.writeHead(answer.status, headers);
          res.end(answer.body);
        } catch (error) {
          sendJson(res, 502, { error: (error as Error).message });
        }
        return;
      }
    }
    if (kind === 'events' && slot) {
      const targetPath = `/${rest.map(encodeURIComponent).join('/')}${url.search}`;
      const queue = slot.fn.events.find((event) => event.kind === 'queue');
      // Not a CloudEvent: deliver it as Kubeless's Kafka/NATS trigger controllers do.
      const kubelessHeaders: Record<string, string> =
        !isCloudEvent(req.headers) && queue?.kind === 'queue'
          ? {
              'event-id': randomUUID(),
              'event-time': new Date().toISOString(),
              'event-type': req.headers['content-type'] ?? 'application/json',
              'event-namespace': `${queue.queue}triggers.kubeless.io`,
            }
          : {};
      return proxy(req, res, slot, targetPath, kubelessHeaders);
    }
    sendJson(res, 404, {
      error: `No serve endpoint ${req.method} ${url.pathname}`,
      routes: knownEndpoints(),
    });
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://serve.local');
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      void control(req, res, url);
      return;
    }
    // Knative: `<function>.localhost:<port>` reaches the function as its own host does in the cluster.
    const hostLabel = (req.headers.host ?? '').split('.')[0] ?? '';
    const byHost =
      model.provider === 'knative' ? functions.find((fn) => fn.name === hostLabel) : undefined;
    if (byHost) return proxy(req, res, slots.get(byHost.key)!, `${url.pathname}${url.search}`);
    const match = matchRoute(routes, req.method ?? 'GET', url.pathname);
    if (match.kind === 'found') {
      const slot = slots.get(match.route.functionKey)!;
      return proxy(req, res, slot, `${targetPath(match.route, url.pathname)}${url.search}`);
    }
    if (match.kind === 'method-not-allowed') {
      return sendJson(
        res,
        405,
        { error: `${req.method} is not allowed on ${url.pathname}`, allow: match.allow },
        { allow: match.allow.join(', ') },
      );
    }
    sendJson(res, 404, {
      error: `No function serves ${req.method} ${url.pathname}`,
      routes: knownEndpoints(),
    });
  }

  await rebuild(true);
  const server: Server = createServer(handle);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    for (const watcher of watchers) watcher.close();
    await Promise.all([...slots.values()].map((slot) => slot.worker?.stop()));
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new UserError(
        `Port ${options.port} on ${options.host} is in use; pick another with --port.`,
      );
    throw error;
  }
  scheduler.start();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    routes,
    schedules: scheduler.upcoming(),
    reload,
    async close() {
      closed = true;
      scheduler.stop();
      clearTimeout(reloadTimer);
      for (const watcher of watchers) watcher.close();
      await reloading.catch(() => undefined);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([...slots.values()].map((slot) => slot.worker?.stop()));
    },
  };
}
