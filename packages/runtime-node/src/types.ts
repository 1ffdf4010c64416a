import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CloudEvent } from 'cloudevents';

/** Levels a function may log at; FUNC_LOG_LEVEL filters below the chosen one. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured logger handed to every invocation as `context.log` (JSON lines on stdout/stderr). */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What Kubeless passes as `event.extensions`, plus the CloudEvent when the request carried one. */
export interface EventExtensions {
  request: IncomingMessage;
  response: ServerResponse;
  cloudevent?: CloudEvent<unknown>;
}

/**
 * The Kubeless event. `event-*` fields come from the request's `event-*` headers, or from the
 * CloudEvent (`ce id`, `type`, `source`, `time`) when the request carried one.
 */
export interface Event<TData = unknown> {
  data: TData;
  'event-id'?: string;
  'event-type'?: string;
  'event-time'?: string;
  'event-namespace'?: string;
  extensions: EventExtensions;
}

/** The Kubeless context, plus a per-invocation abort signal and a logger. */
export interface Context {
  /** FUNC_HANDLER, as Kubeless sets it. */
  readonly 'function-name': string;
  /** Seconds before the invocation is answered with 408 (FUNC_TIMEOUT). */
  readonly timeout: number;
  readonly runtime: string;
  readonly 'memory-limit': string;
  /** Aborted at the deadline or when the client goes away. */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export type Handler<TData = unknown, TResult = unknown> = (
  event: Event<TData>,
  context: Context,
) => TResult | Promise<TResult>;

/** A handler of any data and result type (what the runtime accepts). */
// `never` data: a handler declared for specific data still fits, since every handler must accept
// what the request decodes to; the runtime cannot check that statically.
export type AnyHandler = Handler<never, unknown>;

/** A loaded function: the handler plus the optional lifecycle hooks its module exports. */
export interface FunctionModule {
  handler: AnyHandler;
  /** Awaited before the runtime reports ready. */
  init?: () => unknown;
  /** Awaited on SIGTERM/SIGINT after in-flight requests drained. */
  shutdown?: () => unknown;
}
