// What a handler's result or error becomes on the wire. Those values are arbitrary code (getters,
// Proxies, toJSON, toString), so each is read once and turned into plain, checked data before a
// byte is written: a value that cannot be written as given throws here, never half-way out.
import {
  STATUS_CODES,
  validateHeaderName,
  validateHeaderValue,
  type ServerResponse,
} from 'node:http';
import { inspect } from 'node:util';
import { isFinalStatus, isStructuredResponse } from './response.js';
import type { Logger } from './types.js';

export const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const BYTES_TYPE = 'application/octet-stream';

/** Headers the runtime sets itself: it frames every body it writes and manages the connection. */
const RUNTIME_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection']);

export type HeaderField = readonly [name: string, value: string | string[]];

/** A response as plain data, safe to write. */
export interface Reply {
  readonly status: number;
  /** Handler-supplied headers, checked. */
  readonly headers: readonly HeaderField[];
  /** Content-Type of the body, unless `headers` carries one. */
  readonly type: string | undefined;
  readonly body: string | Buffer;
}

const NO_HEADERS: readonly HeaderField[] = [];
const INTERNAL_ERROR_BODY = JSON.stringify({ error: 'Internal Server Error' });

export const INTERNAL_ERROR: Reply = {
  status: 500,
  headers: NO_HEADERS,
  type: JSON_TYPE,
  body: INTERNAL_ERROR_BODY,
};

function describeValue(value: unknown): string {
  return typeof value === 'number' ? String(value) : value === null ? 'null' : `a ${typeof value}`;
}

/** A header value as primitives, copied once: an object's toString could say something else when Node writes it. */
function plainHeaderValue(name: string, value: unknown): string | string[] | undefined {
  if (typeof value === 'string' || value === undefined) return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return Array.from(value as unknown[], (item) => plainItem(name, item));
  throw new TypeError(
    `header ${JSON.stringify(name)} must be a string, a number or an array of them, got ${describeValue(value)}`,
  );
}

function plainItem(name: string, item: unknown): string {
  if (typeof item === 'string') return item;
  if (typeof item === 'number') return String(item);
  throw new TypeError(
    `header ${JSON.stringify(name)} has an array item that is ${describeValue(item)}`,
  );
}

/** Handler-supplied headers as checked fields; throws for a name or value HTTP cannot carry (CR/LF, …). */
function checkedHeaders(headers: unknown): HeaderField[] {
  if (headers === undefined || headers === null) return [];
  if (typeof headers !== 'object')
    throw new TypeError(`headers must be an object, got ${describeValue(headers)}`);
  const fields: HeaderField[] = [];
  for (const name of Object.keys(headers)) {
    validateHeaderName(name);
    const value = plainHeaderValue(name, (headers as Record<string, unknown>)[name]);
    if (value === undefined || RUNTIME_HEADERS.has(name.toLowerCase())) continue;
    if (typeof value === 'string') validateHeaderValue(name, value);
    else for (const item of value) validateHeaderValue(name, item);
    fields.push([name, value]);
  }
  return fields;
}

function hasContentType(fields: readonly HeaderField[]): boolean {
  return fields.some(([name]) => name.toLowerCase() === 'content-type');
}

/** The body and its type, mapped as Kubeless does; throws for a value with no HTTP representation. */
function encode(
  status: number,
  headers: readonly HeaderField[],
  typed: boolean,
  value: unknown,
): Reply {
  let type: string;
  let body: string | Buffer;
  if (value === undefined) return { status, headers, type: undefined, body: '' };
  if (typeof value === 'string') {
    type = TEXT_TYPE;
    body = value;
  } else if (value instanceof Uint8Array) {
    type = BYTES_TYPE;
    body = Buffer.isBuffer(value)
      ? value
      : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  } else if (typeof value === 'object' || typeof value === 'number' || typeof value === 'boolean') {
    const json = JSON.stringify(value);
    // toJSON() may return undefined, a function or a symbol, which have no JSON text.
    if (json === undefined)
      throw new TypeError('handler returned a value with no JSON representation');
    type = JSON_TYPE;
    body = json;
  } else {
    throw new TypeError(`handler returned a ${typeof value}, which has no HTTP representation`);
  }
  return { status, headers, type: typed ? undefined : type, body };
}

/**
 * The reply for a handler's result: a structured response with its status and headers, or a plain
 * value as a 200. Throws when the result cannot be written as given (the caller answers 500).
 */
export function replyFor(result: unknown): Reply {
  if (!isStructuredResponse(result)) return encode(200, NO_HEADERS, false, result);
  // Each field is read once: a getter could answer differently the second time.
  const { statusCode, headers, body } = result as Record<
    'statusCode' | 'headers' | 'body',
    unknown
  >;
  return structuredReply(statusCode, headers, body);
}

/** A reply whose status, headers and body all came from the function (a structured response, a CloudEvent). */
export function structuredReply(statusCode: unknown, headers: unknown, body: unknown): Reply {
  if (!isFinalStatus(statusCode)) {
    throw new TypeError(
      `response statusCode must be an integer 200-599, got ${describeValue(statusCode)}`,
    );
  }
  const fields = checkedHeaders(headers);
  return encode(statusCode, fields, hasContentType(fields), body);
}

/** The status, client-visible message and headers a thrown value asks for. */
export interface Failure {
  readonly status: number;
  readonly message: string;
  readonly headers: unknown;
}

const INTERNAL_FAILURE: Failure = {
  status: 500,
  message: 'Internal Server Error',
  headers: undefined,
};

/**
 * What a thrown value maps to: an error with a numeric `statusCode` (or `status`) of 400-599 answers
 * with it, anything else is a 500. Reading the value runs its getters; if one throws, a 500.
 */
export function describeFailure(error: unknown): Failure {
  if (typeof error !== 'object' || error === null) return INTERNAL_FAILURE;
  try {
    const candidate = error as Record<
      'statusCode' | 'status' | 'expose' | 'message' | 'headers',
      unknown
    >;
    const statusCode = candidate.statusCode;
    const code = typeof statusCode === 'number' ? statusCode : candidate.status;
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 400 || code > 599) {
      return INTERNAL_FAILURE;
    }
    const expose = candidate.expose;
    const message = candidate.message;
    const headers = candidate.headers;
    const shown =
      (typeof expose === 'boolean' ? expose : code < 500) && typeof message === 'string'
        ? message
        : (STATUS_CODES[code] ?? 'Error');
    return { status: code, message: shown, headers };
  } catch {
    return INTERNAL_FAILURE;
  }
}

/** The JSON error reply for a failure; throws when the error's own headers cannot be written. */
export function failureReply(failure: Failure, stack: string | undefined): Reply {
  const body: Record<string, string> = { error: failure.message };
  if (stack !== undefined) body.stack = stack;
  const headers =
    typeof failure.headers === 'object'
      ? checkedHeaders(failure.headers).filter(([name]) => name.toLowerCase() !== 'content-type')
      : NO_HEADERS;
  return { status: failure.status, headers, type: JSON_TYPE, body: JSON.stringify(body) };
}

/** For logs: the stack of an Error, else an inspection of the thrown value, whatever it does. */
export function stackOf(error: unknown): string {
  try {
    if (error instanceof Error) {
      const stack = error.stack;
      return typeof stack === 'string' ? stack : String(error);
    }
    return `non-Error value thrown: ${inspect(error)}`;
  } catch {
    return 'a thrown value that cannot be inspected';
  }
}

/**
 * Writes a reply. Node has rules of its own (a Trailer header needs chunked encoding, …): if it
 * refuses the reply anyway, a plain 500 goes instead, or the connection is cut if headers are out.
 */
export function writeReply(res: ServerResponse, reply: Reply, log: Logger): void {
  if (res.destroyed || res.writableEnded) return;
  try {
    res.statusCode = reply.status;
    for (const [name, value] of reply.headers) res.setHeader(name, value);
    if (reply.type !== undefined) res.setHeader('Content-Type', reply.type);
    // Headers stay unsent until end(), so Node adds Content-Length instead of chunking.
    res.end(reply.body);
  } catch (error) {
    log.error('Response could not be written as given', { error: stackOf(error) });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // Headers the handler set on extensions.response may be what Node refused: drop them all.
    for (const name of res.getHeaderNames()) {
      if (name !== 'access-control-allow-origin') res.removeHeader(name);
    }
    res.statusCode = 500;
    res.setHeader('Content-Type', JSON_TYPE);
    res.end(INTERNAL_ERROR_BODY);
  }
}
