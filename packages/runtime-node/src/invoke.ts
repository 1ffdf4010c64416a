import {
  STATUS_CODES,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { inspect } from 'node:util';
import { decodeBody, mediaType, RequestError } from './body.js';
import { cloudEventMode, isCloudEvent, parseCloudEvent, toBinaryMessage } from './cloudevents.js';
import type { RuntimeSettings } from './config.js';
import type { Metrics, Series } from './metrics.js';
import { isStructuredResponse } from './response.js';
import type { AnyHandler, Context, Event, Handler, Logger } from './types.js';

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const BYTES_TYPE = 'application/octet-stream';

/** The per-invocation context: Kubeless's fields plus a lazily created abort signal. */
class InvocationContext implements Context {
  readonly 'function-name': string;
  readonly timeout: number;
  readonly runtime: string;
  readonly 'memory-limit': string;
  readonly log: Logger;
  #controller: AbortController | undefined;
  #abortReason: unknown;
  #aborted = false;

  constructor(settings: RuntimeSettings, log: Logger) {
    this['function-name'] = settings.handlerName;
    this.timeout = settings.timeout;
    this.runtime = settings.runtime;
    this['memory-limit'] = settings.memoryLimit;
    this.log = log;
  }

  // Most handlers never look at the signal, so the AbortController is only built on demand.
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  static abort(context: InvocationContext, reason: Error): void {
    if (context.#aborted) return;
    context.#aborted = true;
    context.#abortReason = reason;
    context.#controller?.abort(reason);
  }
}

/** The status, client-visible message and extra headers an error maps to. */
function describeFailure(error: unknown): {
  status: number;
  message: string;
  headers?: OutgoingHttpHeaders;
} {
  if (typeof error === 'object' && error !== null) {
    const candidate = error as {
      statusCode?: unknown;
      status?: unknown;
      expose?: unknown;
      message?: unknown;
      headers?: unknown;
    };
    const code = typeof candidate.statusCode === 'number' ? candidate.statusCode : candidate.status;
    if (typeof code === 'number' && Number.isInteger(code) && code >= 400 && code <= 599) {
      const expose = typeof candidate.expose === 'boolean' ? candidate.expose : code < 500;
      const message =
        expose && typeof candidate.message === 'string'
          ? candidate.message
          : (STATUS_CODES[code] ?? 'Error');
      const headers =
        typeof candidate.headers === 'object' && candidate.headers !== null
          ? (candidate.headers as OutgoingHttpHeaders)
          : undefined;
      return headers ? { status: code, message, headers } : { status: code, message };
    }
  }
  return { status: 500, message: 'Internal Server Error' };
}

function stackOf(error: unknown): string {
  return error instanceof Error
    ? (error.stack ?? String(error))
    : `non-Error value thrown: ${inspect(error)}`;
}

/** Event/context construction, deadline and result mapping, shared by the server and invokeHandler. */
export class Invoker {
  private readonly timeoutMs: number;

  private readonly handler: Handler;

  constructor(
    handler: AnyHandler,
    private readonly settings: RuntimeSettings,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.timeoutMs = settings.timeout * 1000;
    this.handler = handler as Handler;
  }

  /** Runs the handler for a request whose body has been read (`undefined` = no body framed). */
  invoke(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): void {
    const headers = req.headers;
    const contentType = headers['content-type'];
    let data: unknown;
    try {
      data = decodeBody(body, contentType);
    } catch (error) {
      this.sendRequestError(res, error as RequestError);
      return;
    }
    const type =
      contentType === undefined
        ? ''
        : contentType === JSON_TYPE
          ? JSON_TYPE
          : mediaType(contentType);
    const mode = cloudEventMode(headers, type);
    if (mode === undefined) {
      const event: Event = {
        data,
        'event-id': headers['event-id'] as string | undefined,
        'event-type': headers['event-type'] as string | undefined,
        'event-time': headers['event-time'] as string | undefined,
        'event-namespace': headers['event-namespace'] as string | undefined,
        extensions: { request: req, response: res },
      };
      this.run(req, res, event);
      return;
    }
    parseCloudEvent(mode, headers, data).then(
      (cloudevent) => {
        const event: Event = {
          data: cloudevent.data,
          'event-id': cloudevent.id,
          'event-type': cloudevent.type,
          'event-time': cloudevent.time,
          'event-namespace': cloudevent.source,
          extensions: { request: req, response: res, cloudevent },
        };
        this.run(req, res, event);
      },
      (error: RequestError) => this.sendRequestError(res, error),
    );
  }

  private run(req: IncomingMessage, res: ServerResponse, event: Event): void {
    const series = this.metrics.forMethod(req.method ?? 'GET');
    series.calls++;
    const context = new InvocationContext(this.settings, this.log);
    const started = performance.now();
    let result: unknown;
    try {
      result = this.handler(event, context);
    } catch (error) {
      this.fail(res, series, started, error);
      return;
    }
    if (
      typeof result === 'object' &&
      result !== null &&
      typeof (result as PromiseLike<unknown>).then === 'function'
    ) {
      this.awaitResult(res, series, started, context, result as PromiseLike<unknown>);
      return;
    }
    // A synchronous handler cannot be interrupted, but one that overran still gets the 408.
    if (performance.now() - started > this.timeoutMs) {
      this.timedOut(res, series, started, context);
      return;
    }
    this.succeed(res, series, started, result);
  }

  private awaitResult(
    res: ServerResponse,
    series: Series,
    started: number,
    context: InvocationContext,
    pending: PromiseLike<unknown>,
  ): void {
    let settled = false;
    const onClose = (): void => {
      if (settled || res.writableFinished) return;
      settled = true;
      clearTimeout(timer);
      series.observe((performance.now() - started) / 1000);
      InvocationContext.abort(context, new Error('client disconnected'));
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      res.off('close', onClose);
      this.timedOut(res, series, started, context);
    }, this.timeoutMs);
    res.once('close', onClose);
    pending.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        res.off('close', onClose);
        this.succeed(res, series, started, value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        res.off('close', onClose);
        this.fail(res, series, started, error);
      },
    );
  }

  private succeed(res: ServerResponse, series: Series, started: number, result: unknown): void {
    // The handler answered through extensions.response itself: its return value is ignored.
    if (res.headersSent || res.writableEnded) {
      series.observe((performance.now() - started) / 1000);
      return;
    }
    if (isCloudEvent(result)) {
      toBinaryMessage(result).then(
        (message) => {
          series.observe((performance.now() - started) / 1000);
          writeResponse(res, 200, message.headers, message.body);
        },
        (error: unknown) => this.fail(res, series, started, error),
      );
      return;
    }
    let status = 200;
    let headers: OutgoingHttpHeaders | undefined;
    let body = result;
    if (isStructuredResponse(result)) {
      status = result.statusCode;
      headers = result.headers;
      body = result.body;
    }
    let payload: string | Buffer;
    let type: string;
    try {
      switch (typeof body) {
        case 'undefined':
          payload = '';
          type = '';
          break;
        case 'string':
          payload = body;
          type = TEXT_TYPE;
          break;
        case 'object':
          if (body instanceof Uint8Array) {
            payload = Buffer.isBuffer(body)
              ? body
              : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
            type = BYTES_TYPE;
            break;
          }
          payload = JSON.stringify(body);
          type = JSON_TYPE;
          break;
        case 'number':
        case 'boolean':
          payload = JSON.stringify(body);
          type = JSON_TYPE;
          break;
        default:
          throw new TypeError(
            `handler returned a ${typeof body}, which has no HTTP representation`,
          );
      }
    } catch (error) {
      this.fail(res, series, started, error);
      return;
    }
    series.observe((performance.now() - started) / 1000);
    if (headers !== undefined) {
      const typed = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
      writeResponse(
        res,
        status,
        type === '' || typed ? headers : { 'Content-Type': type, ...headers },
        payload,
      );
      return;
    }
    if (type === '') {
      res.statusCode = status;
      res.end();
      return;
    }
    // Headers stay unsent until end(), so Node adds Content-Length instead of chunking.
    res.statusCode = status;
    res.setHeader('Content-Type', type);
    res.end(payload);
  }

  private fail(res: ServerResponse, series: Series, started: number, error: unknown): void {
    series.failures++;
    series.observe((performance.now() - started) / 1000);
    const failure = describeFailure(error);
    if (failure.status >= 500)
      this.log.error('Function failed to execute', { error: stackOf(error) });
    else
      this.log.warn('Function rejected the request', {
        status: failure.status,
        error: failure.message,
      });
    if (res.headersSent) {
      // Part of a streamed response is out: cutting the connection is the only honest signal.
      res.destroy();
      return;
    }
    const body: Record<string, unknown> = { error: failure.message };
    if (this.settings.debug) body.stack = stackOf(error);
    writeResponse(
      res,
      failure.status,
      { ...failure.headers, 'Content-Type': JSON_TYPE },
      JSON.stringify(body),
    );
  }

  private timedOut(
    res: ServerResponse,
    series: Series,
    started: number,
    context: InvocationContext,
  ): void {
    series.failures++;
    series.observe((performance.now() - started) / 1000);
    const message = `Function timed out after ${this.settings.timeout}s (FUNC_TIMEOUT)`;
    InvocationContext.abort(context, new Error(message));
    this.log.warn(message);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    writeResponse(res, 408, { 'Content-Type': JSON_TYPE }, JSON.stringify({ error: message }));
  }

  /** 4xx for a request the runtime refused before the handler ran. */
  sendRequestError(res: ServerResponse, error: RequestError | Error): void {
    if (!(error instanceof RequestError)) {
      this.log.error('Request handling failed', { error: stackOf(error) });
      error = new RequestError(500, 'Internal Server Error');
    }
    const status = (error as RequestError).statusCode;
    // After a refused body the rest of it is unread: close rather than reuse the connection.
    if (status === 413) res.shouldKeepAlive = false;
    writeResponse(
      res,
      status,
      { 'Content-Type': JSON_TYPE },
      JSON.stringify({ error: error.message }),
    );
  }
}

function writeResponse(
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  body: string | Buffer,
): void {
  if (res.destroyed || res.writableEnded) return;
  res.statusCode = status;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined) res.setHeader(name, value);
  }
  res.end(body);
}
