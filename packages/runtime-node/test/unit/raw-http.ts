// Raw HTTP/1.1 over a net socket, so tests see exactly what the runtime put on the wire (fetch
// would hide a malformed response, a reset or an injected header behind its own parsing).
import { connect, type Socket } from 'node:net';

export interface RawExchange {
  /** Every byte the server sent before the connection ended. */
  bytes: Buffer;
  /** The socket error code (e.g. ECONNRESET) if the connection did not end cleanly. */
  error: string | undefined;
}

/** Connects, writes `request`, and collects the reply until the server closes the connection. */
export function exchange(
  port: number,
  request: Buffer | string,
  timeoutMs = 5000,
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    collect(socket, timeoutMs).then(resolve);
    socket.once('connect', () => socket.write(request));
  });
}

/** Gathers what `socket` receives until it closes (or `timeoutMs` passes: error 'TIMEOUT'). */
export function collect(socket: Socket, timeoutMs: number): Promise<RawExchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const timer = setTimeout(() => {
      error ??= 'TIMEOUT';
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (cause: NodeJS.ErrnoException) => (error ??= cause.code ?? cause.message));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(chunks), error });
    });
  });
}

export interface ParsedResponse {
  status: number;
  /** Header lines in order, names lower-cased. */
  headers: Array<[string, string]>;
  body: Buffer;
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3}) [\t\x20-\x7e\x80-\xff]*$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([\t\x20-\x7e\x80-\xff]*?)[ \t]*$/;

/**
 * Parses the bytes of a connection as a sequence of HTTP/1.1 responses to `method`, strictly as
 * RFC 9112 frames them, skipping 1xx interim responses. Throws on anything malformed, including
 * bytes left over after a framed response (a second, smuggled response).
 */
export function parseResponses(bytes: Buffer, method: string): ParsedResponse[] {
  const responses: ParsedResponse[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', offset, 'latin1');
    if (headEnd === -1) throw new Error(`incomplete response head: ${show(bytes, offset)}`);
    const lines = bytes.toString('latin1', offset, headEnd).split('\r\n');
    const statusMatch = STATUS_LINE.exec(lines[0] ?? '');
    if (!statusMatch) throw new Error(`malformed status line: ${JSON.stringify(lines[0])}`);
    const status = Number(statusMatch[1]);
    const headers: Array<[string, string]> = [];
    for (const line of lines.slice(1)) {
      const headerMatch = HEADER_LINE.exec(line);
      if (!headerMatch) throw new Error(`malformed header line: ${JSON.stringify(line)}`);
      headers.push([headerMatch[1]!.toLowerCase(), headerMatch[2]!]);
    }
    offset = headEnd + 4;
    if (status < 200) continue; // interim (100 Continue): the final response follows
    const field = (name: string): string[] => headers.filter(([n]) => n === name).map(([, v]) => v);
    let body: Buffer;
    if (method === 'HEAD' || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (field('transfer-encoding').length > 0) {
      if (field('transfer-encoding').join(',').trim().toLowerCase() !== 'chunked')
        throw new Error(`unsupported transfer-encoding ${field('transfer-encoding').join(',')}`);
      [body, offset] = dechunk(bytes, offset);
    } else if (field('content-length').length > 0) {
      const lengths = field('content-length');
      if (lengths.length !== 1 || !/^\d+$/.test(lengths[0]!))
        throw new Error(`invalid content-length ${JSON.stringify(lengths)}`);
      const length = Number(lengths[0]);
      if (offset + length > bytes.length)
        throw new Error(`body shorter than content-length ${length}`);
      body = bytes.subarray(offset, offset + length);
      offset += length;
    } else {
      body = bytes.subarray(offset); // delimited by the connection closing
      offset = bytes.length;
    }
    responses.push({ status, headers, body });
  }
  return responses;
}

function dechunk(bytes: Buffer, start: number): [Buffer, number] {
  const parts: Buffer[] = [];
  let offset = start;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', offset, 'latin1');
    if (lineEnd === -1) throw new Error('incomplete chunk size line');
    const size = parseInt(bytes.toString('latin1', offset, lineEnd).split(';')[0]!, 16);
    if (!Number.isInteger(size)) throw new Error('malformed chunk size');
    offset = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = bytes.indexOf('\r\n', offset, 'latin1');
      if (trailerEnd !== offset) throw new Error('trailers are not expected');
      return [Buffer.concat(parts), offset + 2];
    }
    parts.push(bytes.subarray(offset, offset + size));
    offset += size;
    if (bytes.toString('latin1', offset, offset + 2) !== '\r\n')
      throw new Error('chunk not CRLF-terminated');
    offset += 2;
  }
}

function show(bytes: Buffer, offset: number): string {
  return JSON.stringify(bytes.toString('latin1', offset, offset + 200));
}

/** The single final response on a connection, or a thrown description of what came instead. */
export function onlyResponse(reply: RawExchange, method = 'GET'): ParsedResponse {
  if (reply.error !== undefined && reply.bytes.length === 0)
    throw new Error(`no response: connection ended with ${reply.error}`);
  const responses = parseResponses(reply.bytes, method);
  if (responses.length !== 1) throw new Error(`expected one response, got ${responses.length}`);
  return responses[0]!;
}

export function headerValues(response: ParsedResponse, name: string): string[] {
  return response.headers.filter(([n]) => n === name).map(([, value]) => value);
}
