// Container logs as the kubelet keeps and serves them: each run of a container writes CRI-format
// lines (`<RFC3339Nano> stdout|stderr F <line>`) to its own file, and the kubelet API's
// /containerLogs/{namespace}/{pod}/{container} serves them with the query parameters that
// `kubectl logs` and the API server's pods/log pass through (follow, previous, tailLines,
// sinceSeconds, sinceTime, timestamps, limitBytes).
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** RFC 3339 with nanoseconds, as CRI log lines carry it. */
const nanoTimestamp = (date: Date): string =>
  date.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

/** Writes one container run's output to its log file. */
export class ContainerLog {
  private readonly out: WriteStream;
  private readonly partial = new Map<string, string>();
  private output = '';

  constructor(readonly file: string) {
    this.out = createWriteStream(file, { flags: 'a' });
  }

  attach(stream: Readable, name: 'stdout' | 'stderr'): void {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.write(name, chunk));
    stream.on('end', () => {
      const rest = this.partial.get(name);
      if (rest) this.line(name, rest);
      this.partial.delete(name);
    });
  }

  /** The last bytes written, for FallbackToLogsOnError termination messages. */
  tail(maxBytes: number): string {
    return this.output.slice(-maxBytes);
  }

  private write(name: string, chunk: string): void {
    const text = (this.partial.get(name) ?? '') + chunk;
    const lines = text.split('\n');
    this.partial.set(name, lines.pop() ?? '');
    for (const line of lines) this.line(name, line);
  }

  private line(name: string, line: string): void {
    this.out.write(`${nanoTimestamp(new Date())} ${name} F ${line}\n`);
    this.output = (this.output + line + '\n').slice(-8192);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}

export interface LogSource {
  file: string;
  /** True while the run that writes the file is alive (follow keeps reading until it ends). */
  running(): boolean;
}

export type LogLocator = (
  namespace: string,
  pod: string,
  container: string,
  previous: boolean,
) => LogSource | { problem: string; status: number };

interface LogQuery {
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceMs?: number;
  limitBytes?: number;
}

function parseQuery(params: URLSearchParams): LogQuery {
  const number = (name: string): number | undefined => {
    const value = params.get(name);
    return value === null || value === '' ? undefined : Number(value);
  };
  const since = number('sinceSeconds');
  const sinceTime = params.get('sinceTime');
  return {
    follow: params.get('follow') === 'true',
    timestamps: params.get('timestamps') === 'true',
    tailLines: number('tailLines'),
    sinceMs:
      since !== undefined
        ? Date.now() - since * 1000
        : sinceTime
          ? Date.parse(sinceTime)
          : undefined,
    limitBytes: number('limitBytes'),
  };
}

/** One CRI line as `kubectl logs` prints it, or undefined when it is filtered out. */
function render(line: string, query: LogQuery): string | undefined {
  const match = /^(\S+) (stdout|stderr) [FP] (.*)$/.exec(line);
  if (!match) return undefined;
  const [, timestamp = '', , text = ''] = match;
  if (query.sinceMs !== undefined && Date.parse(timestamp) < query.sinceMs) return undefined;
  return query.timestamps ? `${timestamp} ${text}\n` : `${text}\n`;
}

async function serveLog(source: LogSource, query: LogQuery, res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/plain' });
  let budget = query.limitBytes ?? Number.POSITIVE_INFINITY;
  const emit = (text: string): boolean => {
    if (budget <= 0) return false;
    const chunk = Buffer.from(text).subarray(0, budget);
    budget -= chunk.length;
    res.write(chunk);
    return budget > 0;
  };
  const content = await readFile(source.file, 'utf8').catch(() => '');
  let offset = Buffer.byteLength(content);
  let lines = content
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => render(line, query) ?? []);
  if (query.tailLines !== undefined)
    lines = lines.slice(Math.max(0, lines.length - query.tailLines));
  for (const line of lines) if (!emit(line)) return void res.end();
  if (!query.follow) return void res.end();
  let carry = '';
  for (;;) {
    const alive = source.running();
    const size = (await stat(source.file).catch(() => undefined))?.size ?? offset;
    if (size > offset) {
      const handle = await open(source.file, 'r');
      const buffer = Buffer.alloc(size - offset);
      await handle.read(buffer, 0, buffer.length, offset);
      await handle.close();
      offset = size;
      const parts = (carry + buffer.toString('utf8')).split('\n');
      carry = parts.pop() ?? '';
      for (const part of parts) {
        const line = render(part, query);
        if (line !== undefined && !emit(line)) return void res.end();
      }
    }
    if (!alive || res.destroyed) return void res.end();
    await sleep(200);
  }
}

/** The kubelet API's log endpoint on the node's address (TLS, as the API server expects). */
export function startKubeletServer(
  options: { host: string; port: number; cert: string; key: string },
  locate: LogLocator,
): Promise<Server> {
  const server = createServer({ cert: options.cert, key: options.key }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://node');
    if (url.pathname === '/healthz') return void res.end('ok');
    const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) {
      res.writeHead(404).end('not found');
      return;
    }
    const [, namespace = '', pod = '', container = ''] = match.map(decodeURIComponent);
    const source = locate(namespace, pod, container, url.searchParams.get('previous') === 'true');
    if ('problem' in source) {
      res.writeHead(source.status, { 'content-type': 'text/plain' }).end(source.problem);
      return;
    }
    serveLog(source, parseQuery(url.searchParams), res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(err.message);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
