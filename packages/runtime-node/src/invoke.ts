import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CloudEvent } from 'cloudevents';
import { decodeBody, mediaType, RequestError } from './body.js';
import { cloudEventMode, isCloudEvent, parseCloudEvent, toBinaryMessage } from './cloudevents.js';
import type { RuntimeSettings } from './config.js';
import { endLingering } from './lingering-close.js';
import type { Metrics, Series } from './metrics.js';
import {
  describeFailure,
  failureReply,
  INTERNAL_ERROR,
  JSON_TYPE,
  replyFor,
  stackOf,
  structuredReply,
  writeReply,
  type Reply,
} from './reply.js';
import type { AnyHandler, Context, Event, Handler, Logger } from './types.js';

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
    let then: unknown;
    try {
      result = this.handler(event, context);
      // Reading `then` runs the handler's code too (a getter, a Proxy trap).
      if (typeof result === 'object' && result !== null) then = (result as { then?: unknown }).then;
    } catch (error) {
      this.fail(res, series, started, error);
      return;
    }
    if (typeof then === 'function') {
      this.awaitResult(res, series, started, context, result);
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
    thenable: unknown,
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
    const onValue = (value: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      res.off('close', onClose);
      this.succeed(res, series, started, value);
    };
    const onError = (error: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      res.off('close', onClose);
      this.fail(res, series, started, error);
    };
    // Promise.resolve adopts any thenable, so one whose then() throws, or calls back twice, settles
    // once like a promise; only a promise with a hostile constructor or own then() throws here.
    try {
      Promise.resolve(thenable).then(onValue, onError);
    } catch (error) {
      onError(error);
    }
  }

  private succeed(res: ServerResponse, series: Series, started: number, result: unknown): void {
    // The handler answered through extensions.response itself: its return value is ignored.
    if (res.headersSent || res.writableEnded) {
      series.observe((performance.now() - started) / 1000);
      return;
    }
    let reply: Reply;
    try {
      if (isCloudEvent(result)) {
        this.sendCloudEvent(res, series, started, result);
        return;
      }
      reply = replyFor(result);
    } catch (error) {
      this.fail(res, series, started, error);
      return;
    }
    series.observe((performance.now() - started) / 1000);
    writeReply(res, reply, this.log);
  }

  private sendCloudEvent(
    res: ServerResponse,
    series: Series,
    started: number,
    event: CloudEvent<unknown>,
  ): void {
    toBinaryMessage(event)
      .then((message) => structuredReply(200, message.headers, message.body))
      .then(
        (reply) => {
          series.observe((performance.now() - started) / 1000);
          writeReply(res, reply, this.log);
        },
        (error: unknown) => this.fail(res, series, started, error),
      );
  }

  private fail(res: ServerResponse, series: Series, started: number, error: unknown): void {
    series.failures++;
    series.observe((performance.now() - started) / 1000);
    const failure = describeFailure(error);
    if (failure.status >= 500) {
      this.log.error('Function failed to execute', { error: stackOf(error) });
    } else {
      this.log.warn('Function rejected the request', {
        status: failure.status,
        error: failure.message,
      });
    }
    if (res.headersSent) {
      // Part of a streamed response is out: cutting the connection is the only honest signal.
      res.destroy();
      return;
    }
    let reply: Reply;
    try {
      reply = failureReply(failure, this.settings.debug ? stackOf(error) : undefined);
    } catch (invalid) {
      this.log.error('The error carries headers that cannot be sent, answering 500', {
        error: stackOf(invalid),
      });
      reply = INTERNAL_ERROR;
    }
    writeReply(res, reply, this.log);
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
    writeReply(
      res,
      { status: 408, headers: [], type: JSON_TYPE, body: errorBody(message) },
      this.log,
    );
  }

  /** 4xx for a request the runtime refused before the handler ran. */
  sendRequestError(res: ServerResponse, error: RequestError | Error): void {
    if (!(error instanceof RequestError)) {
      this.log.error('Request handling failed', { error: stackOf(error) });
      error = new RequestError(500, 'Internal Server Error');
    }
    const status = (error as RequestError).statusCode;
    const body = errorBody(error.message);
    if (status === 413) {
      // The rest of the body is unread: close the connection, without resetting the answer away.
      res.statusCode = status;
      res.setHeader('Content-Type', JSON_TYPE);
      endLingering(res, body);
      return;
    }
    writeReply(res, { status, headers: [], type: JSON_TYPE, body }, this.log);
  }
}

function errorBody(message: string): string {
  return JSON.stringify({ error: message });
}
