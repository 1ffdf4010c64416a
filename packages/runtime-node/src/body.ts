import type { IncomingMessage } from 'node:http';

/** A request the runtime refuses before the handler runs (400 invalid JSON, 413 too large, …). */
export class RequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export type BodyCallback = (error: RequestError | Error | null, body: Buffer | undefined) => void;

/** True when the request frames a body (Content-Length or Transfer-Encoding), as body-parser decides. */
export function hasBody(req: IncomingMessage): boolean {
  const headers = req.headers;
  return headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined;
}

/**
 * Reads the whole body into one Buffer, refusing more than `limit` bytes with a 413. Calls `done`
 * exactly once; a client that disconnects mid-body yields a plain Error (nobody to answer).
 */
export function readBody(req: IncomingMessage, limit: number, done: BodyCallback): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    done(tooLarge(limit), undefined);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (error: Error | null, body: Buffer | undefined): void => {
    if (finished) return;
    finished = true;
    done(error, body);
  };
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      chunks.length = 0;
      req.removeAllListeners('data');
      finish(tooLarge(limit), undefined);
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    finish(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
  });
  // A client that goes away mid-body surfaces as 'close' before completion ('error' is only
  // emitted to listeners, so none is needed).
  req.on('close', () => {
    if (!req.complete) finish(new Error('client closed the connection mid-request'), undefined);
  });
}

function tooLarge(limit: number): RequestError {
  return new RequestError(
    413,
    `Request body exceeds ${limit} bytes (raise REQ_MB_LIMIT to accept more)`,
  );
}

/** The media type without parameters, lower-cased: `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

/**
 * Turns the raw body into `event.data`:
 * - no body framed at all → `{}` (what Kubeless's body-parser leaves behind);
 * - a framed but empty body → an empty Buffer (Kubeless hands the empty raw body through);
 * - JSON types (`application/json`, `*+json`) → parsed, invalid JSON → 400;
 * - `text/*` and `application/x-www-form-urlencoded` → UTF-8 string;
 * - anything else, including no Content-Type → Buffer.
 */
export function decodeBody(body: Buffer | undefined, contentType: string | undefined): unknown {
  if (body === undefined) return {};
  if (body.length === 0) return body;
  const type = contentType === 'application/json' ? contentType : mediaType(contentType);
  if (isJsonMediaType(type)) {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new RequestError(400, `Invalid JSON body: ${(error as Error).message}`);
    }
  }
  if (type.startsWith('text/') || type === 'application/x-www-form-urlencoded') {
    return body.toString('utf8');
  }
  return body;
}
