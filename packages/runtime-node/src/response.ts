import type { OutgoingHttpHeaders } from 'node:http';

// A registered symbol so a structured response built by another copy of this package (e.g. one
// bundled into the function) is still recognised.
const STRUCTURED = Symbol.for('serverless-k8s.runtime.response');

export interface StructuredResponseInit {
  statusCode?: number;
  headers?: OutgoingHttpHeaders;
  /** Mapped like a plain return value: string → text, Buffer → bytes, anything else → JSON. */
  body?: unknown;
}

export interface StructuredResponse {
  readonly statusCode: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: unknown;
  readonly [STRUCTURED]: true;
}

/** A final status (1xx codes are interim: a response cannot end with one). */
export function isFinalStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 200 && value <= 599;
}

/** A response with its own status and headers; plain return values keep Kubeless semantics. */
export function response(init: StructuredResponseInit): StructuredResponse {
  const statusCode = init.statusCode ?? 200;
  if (!isFinalStatus(statusCode)) {
    throw new TypeError(`response(): statusCode must be an integer 200-599, got ${statusCode}`);
  }
  return { statusCode, headers: init.headers ?? {}, body: init.body, [STRUCTURED]: true };
}

export function isStructuredResponse(value: unknown): value is StructuredResponse {
  return typeof value === 'object' && value !== null && STRUCTURED in value;
}

/**
 * Throw this (or any error with a numeric `statusCode`) to answer with that status. The message
 * reaches the client for 4xx codes or when `expose` is set; 5xx messages stay server-side.
 */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly expose: boolean;
  readonly headers: OutgoingHttpHeaders;

  constructor(
    statusCode: number,
    message?: string,
    options: { expose?: boolean; headers?: OutgoingHttpHeaders; cause?: unknown } = {},
  ) {
    super(message ?? `HTTP ${statusCode}`, { cause: options.cause });
    this.name = 'HttpError';
    this.statusCode = statusCode >= 400 && statusCode <= 599 ? statusCode : 500;
    this.expose = options.expose ?? this.statusCode < 500;
    this.headers = options.headers ?? {};
  }
}
