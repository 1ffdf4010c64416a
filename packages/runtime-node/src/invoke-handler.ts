import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http';
import { resolveSettings, type Env } from './config.js';
import { createLogger } from './logger.js';
import { memorySocketPair } from './memory-socket.js';
import { Runtime } from './server.js';
import type { AnyHandler, Logger } from './types.js';

/** A request-like input for invokeHandler. */
export interface InvokeInput {
  method?: string;
  /** Path with or without a query string (default `/`). */
  path?: string;
  headers?: OutgoingHttpHeaders;
  /** string and Buffer are sent as-is; anything else is sent as JSON. */
  body?: string | Buffer | Uint8Array | object | number | boolean | null;
  query?: Record<string, string | number | boolean | Array<string | number | boolean>>;
}

export interface InvokeResult {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  json(): unknown;
}

export interface InvokeOptions {
  /** Environment for the Kubeless variables (FUNC_TIMEOUT, FUNC_HANDLER, …); default process.env. */
  env?: Env;
  /** Seconds; overrides FUNC_TIMEOUT. */
  timeout?: number;
  logger?: Logger;
}

function pathWithQuery(path: string, query: InvokeInput['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const text = params.toString();
  if (text === '') return path;
  return path + (path.includes('?') ? '&' : '?') + text;
}

/**
 * Runs one request through exactly the pipeline the server uses (body rules, CloudEvents,
 * event/context, deadline, response mapping), over an in-memory connection instead of a socket.
 */
export async function invokeHandler(
  handler: AnyHandler,
  input: InvokeInput = {},
  options: InvokeOptions = {},
): Promise<InvokeResult> {
  const settings = resolveSettings(options.env ?? process.env, { timeout: options.timeout });
  const log = options.logger ?? createLogger(settings.handlerName, settings.logLevel);
  const runtime = new Runtime({ handler }, settings, log);
  await runtime.initialize();

  const headers: OutgoingHttpHeaders = { ...input.headers };
  const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  let payload: Buffer | undefined;
  const body = input.body;
  if (body === undefined) payload = undefined;
  else if (typeof body === 'string') payload = Buffer.from(body, 'utf8');
  else if (body instanceof Uint8Array)
    payload = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  else {
    payload = Buffer.from(JSON.stringify(body), 'utf8');
    if (!hasContentType) headers['content-type'] = 'application/json';
  }
  if (payload !== undefined) headers['content-length'] = payload.length;

  const server = createServer(runtime.listener);
  const [serverSide, clientSide] = memorySocketPair();
  server.emit('connection', serverSide);

  try {
    return await new Promise<InvokeResult>((resolve, reject) => {
      const req = request(
        {
          method: input.method ?? (payload === undefined ? 'GET' : 'POST'),
          path: pathWithQuery(input.path ?? '/', input.query),
          headers,
          createConnection: () => clientSide,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const buffer = Buffer.concat(chunks);
            resolve({
              statusCode: res.statusCode ?? 0,
              headers: res.headers,
              body: buffer,
              text: () => buffer.toString('utf8'),
              json: () => JSON.parse(buffer.toString('utf8')) as unknown,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  } finally {
    serverSide.destroy();
    clientSide.destroy();
  }
}
