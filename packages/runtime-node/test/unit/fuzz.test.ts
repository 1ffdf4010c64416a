// Property-based fuzzing of a real runtime process: generated requests (methods, headers, bodies,
// CloudEvents, content types and encodings, framings, sizes) carry a recipe for what the handler
// returns or throws (any value, thenables, errors, throwing getters and Proxies, structured
// responses with any status and headers). Whatever the mix, the process stays up and every
// request gets exactly one well-formed response with no injected header line.
//
// A failure prints fast-check's seed and path; replay it with
//   FUZZ_SEED=<seed> FUZZ_PATH=<path> vitest run --project unit packages/runtime-node/test/unit/fuzz.test.ts
// FUZZ_RUNS changes the number of runs (default 1000: about 5 s, 15 s on two busy cores).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exchange, headerValues, onlyResponse } from './raw-http.js';

const here = dirname(fileURLToPath(import.meta.url));
const BODY_LIMIT = 5 * 1024; // REQ_MB_LIMIT below, in bytes (rounded down as the runtime does)
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

let workDir: string;
let child: ChildProcess;
let port: number;
let stderr = '';
/** The request being answered when the process exited: the one to look at, whatever shrinking reports. */
let fatalRequest: string | undefined;
let current = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      server.close(() => resolve(address.port));
    });
  });
}

beforeAll(async () => {
  // The bin built from the current sources, bundled on its own so it never races the dist/ build.
  workDir = mkdtempSync(join(tmpdir(), 'sk8s-fuzz-'));
  const cli = join(workDir, 'cli.cjs');
  await build({
    entryPoints: [join(here, '..', '..', 'src', 'cli.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: cli,
    logLevel: 'warning',
  });
  port = await freePort();
  child = spawn(process.execPath, [cli, join(here, 'fixtures', 'fuzz-handler.cjs')], {
    env: {
      PATH: process.env.PATH ?? '',
      FUNC_PORT: String(port),
      FUNC_HOST: '127.0.0.1',
      FUNC_TIMEOUT: '0.3',
      REQ_MB_LIMIT: String(BODY_LIMIT / 1024 / 1024),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Keep the tail of the runtime's log for failure messages.
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  child.once('exit', () => (fatalRequest ??= current));
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`runtime exited early: ${stderr}`);
    const ready = await fetch(`http://127.0.0.1:${port}/health/readiness`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`runtime never became ready: ${stderr}`);
}, 30_000);

afterAll(() => {
  child?.kill('SIGKILL');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// ---- handler results: recipes that fixtures/fuzz-handler.cjs builds into values ----

type Recipe = readonly unknown[];

const INJECTIONS = [
  'ok\r\nx-injected: yes',
  'ok\nx-injected: yes',
  'ok\rx-injected: yes',
  'ok\r\n\r\nHTTP/1.1 200 OK\r\nx-injected: yes\r\n\r\n',
];
const text = fc.string({ maxLength: 12 });
const textOrInjection = fc.oneof(text, fc.constantFrom(...INJECTIONS));
const rarely = <T>(arbitrary: fc.Arbitrary<T>, otherwise: T): fc.Arbitrary<T> =>
  fc.oneof({ weight: 1, arbitrary }, { weight: 6, arbitrary: fc.constant(otherwise) });

const headerName = fc.oneof(
  fc.constantFrom('x-a', 'X-Mixed-Case', 'content-type', 'Content-Length', 'transfer-encoding'),
  fc.constantFrom('connection', 'set-cookie', 'location', 'trailer', 'keep-alive', 'upgrade'),
  fc.constantFrom('bad name', 'x:y', '', 'é', 'x\r\nx-injected', 'x\nx-injected', '(x)'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
);
const headerValue = fc.oneof(
  fc.tuple(
    fc.constant('string'),
    fc.oneof(textOrInjection, fc.string({ unit: 'binary', maxLength: 6 })),
  ),
  fc.tuple(fc.constant('number'), fc.oneof(fc.integer(), fc.double())),
  fc.tuple(fc.constant('array'), fc.array(textOrInjection, { maxLength: 3 })),
  fc.tuple(fc.constant('symbol'), text),
  fc.tuple(fc.constant('object'), textOrInjection),
);
const handlerHeaders = fc.oneof(
  { weight: 1, arbitrary: fc.constant('hostile') },
  {
    weight: 9,
    arbitrary: fc.array(fc.tuple(headerName, headerValue, rarely(fc.constant(true), false)), {
      maxLength: 4,
    }),
  },
);
const statusCode = fc.oneof(
  fc.integer({ min: 200, max: 599 }),
  fc.constantFrom(100, 101, 199, 600, 999, 1000, 0, -1, 200.5, '200', 'abc', null),
  fc.integer(),
);

const { value: handlerValue } = fc.letrec<{ value: Recipe }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.constant('string'), textOrInjection),
    fc.tuple(fc.constant('number'), fc.double()),
    fc.tuple(fc.constant('boolean'), fc.boolean()),
    fc.constantFrom(['null'], ['undefined'], ['nan'], ['circular'], ['hostile']),
    fc.constantFrom(['tojson-throws'], ['tojson-undefined'], ['getter-throws'], ['inspect-throws']),
    fc.tuple(fc.constant('bigint'), fc.bigInt().map(String)),
    fc.tuple(fc.constantFrom('symbol', 'function'), text),
    fc.tuple(
      fc.constantFrom('buffer', 'uint8array'),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64')),
    ),
    fc.tuple(fc.constant('array'), fc.array(tie('value'), { maxLength: 3 })),
    fc.tuple(fc.constant('object'), fc.array(fc.tuple(text, tie('value')), { maxLength: 3 })),
    fc.tuple(
      fc.constant('cloudevent'),
      tie('value'),
      fc.constantFrom('ext', 'myext', 'BadName'),
      textOrInjection,
    ),
    fc.tuple(
      fc.constant('response'),
      statusCode,
      handlerHeaders,
      tie('value'),
      rarely(fc.constantFrom('statusCode', 'headers', 'body'), null),
    ),
    fc.tuple(
      fc.constant('error'),
      statusCode,
      handlerHeaders,
      text,
      rarely(
        fc.constantFrom('statusCode', 'status', 'message', 'headers', 'expose', 'stack'),
        null,
      ),
    ),
    fc.tuple(
      fc.constant('thenable'),
      fc.oneof(
        fc.constantFrom('resolve', 'resolve-sync', 'reject', 'both', 'then-throws'),
        fc.constantFrom('then-getter-throws', 'never'),
      ),
      tie('value'),
    ),
    fc.tuple(fc.constant('promise'), fc.constantFrom('resolve', 'reject'), tie('value')),
    fc.tuple(fc.constant('throw'), tie('value')),
  ),
}));

// ---- requests ----

const RUNTIME_PATHS = ['/healthz', '/health/liveness', '/health/readiness', '/metrics'];
// Printable ASCII and obs-text: what a header value may hold on the wire (no CR/LF, no controls).
const wireText = fc.string({
  unit: fc
    .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }))
    .map((code) => String.fromCharCode(code)),
  maxLength: 24,
});
const requestHeaderName = fc.oneof(
  fc.constantFrom(
    'accept',
    'user-agent',
    'event-id',
    'event-type',
    'event-time',
    'event-namespace',
  ),
  fc.constantFrom('access-control-request-method', 'access-control-request-headers', 'upgrade'),
  fc.constantFrom('authorization', 'cookie', 'x-forwarded-for', 'te', 'accept-encoding'),
  fc.stringMatching(/^x-[a-z0-9-]{1,10}$/),
);
const ceVersion = fc.constantFrom('1.0', '0.3', '9.9', '');
const cloudEventHeaders = fc.record(
  {
    'ce-id': fc.oneof(fc.constant('e-1'), wireText),
    'ce-source': fc.oneof(fc.constant('/fuzz'), wireText),
    'ce-type': fc.oneof(fc.constant('com.example.fuzz'), wireText),
    'ce-specversion': ceVersion,
    'ce-time': fc.oneof(fc.constant('2024-01-02T03:04:05Z'), wireText),
    'ce-myext': wireText,
  },
  { requiredKeys: [] },
);
const structuredEvent = fc
  .record(
    {
      id: fc.oneof(fc.constant('s-1'), text, fc.integer()),
      source: fc.oneof(fc.constant('/fuzz'), text),
      type: fc.oneof(fc.constant('com.example.fuzz'), text),
      specversion: ceVersion,
      time: fc.oneof(fc.constant('2024-01-02T03:04:05Z'), text),
      data: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  )
  .map((event) => JSON.stringify(event));
// Bytes as base64 and oversized bodies by size, so a counterexample prints in a line.
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }).map((json) => JSON.stringify(json) ?? 'null'),
  fc.string({ maxLength: 64 }),
  fc
    .uint8Array({ maxLength: 2048 })
    .map((bytes) => ({ base64: Buffer.from(bytes).toString('base64') })),
  structuredEvent,
  fc.integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT * 3 }).map((size) => ({ oversized: size })),
);
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
  path: fc.oneof(
    fc.webPath().map((path) => (path.startsWith('/') ? path : `/${path}`)),
    fc.constantFrom(...RUNTIME_PATHS),
  ),
  http10: rarely(fc.constant(true), false),
  headers: fc.array(fc.tuple(requestHeaderName, wireText), { maxLength: 5 }),
  // Mostly requests that reach the handler; CloudEvents and JSON bodies get refused more often.
  contentType: rarely(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/vnd.api+json',
      'text/plain',
      'text/html; charset=latin1',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
      'application/cloudevents+json',
      'application/cloudevents+json; charset=utf-8',
      'application/cloudevents-batch+json',
      'multipart/form-data; boundary=x',
      'garbage',
      '',
    ),
    null,
  ),
  contentEncoding: fc.option(fc.constantFrom('gzip', 'identity', 'br', 'x-unknown')),
  cloudEvent: rarely(cloudEventHeaders, null),
  expectContinue: rarely(fc.constant(true), false),
  body,
  chunked: fc.boolean(),
  chunkSize: fc.integer({ min: 1, max: 4096 }),
  result: fc.record({ async: fc.boolean(), value: handlerValue }),
});

type FuzzRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

/** The request as bytes, closing the connection after it so its reply can be read to the end. */
function serialise(r: FuzzRequest): Buffer {
  // The runtime answers these before reading a body; a body left unread would make the close a
  // reset (Node's own behaviour, outside what the runtime decides), so they carry none.
  const answeredUnread = r.method === 'OPTIONS' || RUNTIME_PATHS.includes(r.path);
  const payload =
    answeredUnread || r.body === undefined
      ? undefined
      : typeof r.body === 'string'
        ? Buffer.from(r.body, 'utf8')
        : 'base64' in r.body
          ? Buffer.from(r.body.base64, 'base64')
          : Buffer.alloc(r.body.oversized, 'x');
  const lines = [`${r.method} ${r.path} HTTP/${r.http10 ? '1.0' : '1.1'}`, 'Host: fuzz'];
  for (const [name, value] of r.headers) lines.push(`${name}: ${value}`);
  if (r.contentType !== null) lines.push(`Content-Type: ${r.contentType}`);
  if (r.contentEncoding !== null) lines.push(`Content-Encoding: ${r.contentEncoding}`);
  for (const [name, value] of Object.entries(r.cloudEvent ?? {})) lines.push(`${name}: ${value}`);
  if (r.expectContinue && !r.http10 && payload !== undefined) lines.push('Expect: 100-continue');
  lines.push(`X-Fuzz-Result: ${Buffer.from(JSON.stringify(r.result)).toString('base64url')}`);
  let framed = Buffer.alloc(0);
  if (payload !== undefined && r.chunked && !r.http10) {
    lines.push('Transfer-Encoding: chunked');
    const parts: Buffer[] = [];
    for (let offset = 0; offset < payload.length; offset += r.chunkSize) {
      const chunk = payload.subarray(offset, offset + r.chunkSize);
      parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
    }
    framed = Buffer.concat([...parts, Buffer.from('0\r\n\r\n')]);
  } else if (payload !== undefined) {
    lines.push(`Content-Length: ${payload.length}`);
    framed = payload;
  }
  lines.push('Connection: close');
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), framed]);
}

it('answers every generated request with exactly one well-formed response, and stays up', async () => {
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const bytes = serialise(r);
      current = bytes.toString('latin1', 0, 2000);
      const reply = await exchange(port, bytes, 5000);
      try {
        expect(reply.error, 'the connection ended with an error').toBeUndefined();
        const response = onlyResponse(reply, r.method);
        expect(response.status).toBeGreaterThanOrEqual(200);
        expect(response.status).toBeLessThanOrEqual(599);
        expect(headerValues(response, 'x-injected'), 'an injected header line').toEqual([]);
        expect(child.exitCode, 'the runtime process exited').toBeNull();
      } catch (error) {
        const shown = bytes.toString('latin1', 0, 600);
        const got = reply.bytes.toString('latin1', 0, 600);
        const died =
          fatalRequest === undefined
            ? ''
            : `\nthe runtime exited (${child.exitCode}) while answering: ${JSON.stringify(fatalRequest)}`;
        throw new Error(
          `${(error as Error).message}${died}\nrequest: ${JSON.stringify(shown)}\n` +
            `reply: ${JSON.stringify(got)}\nruntime log tail:\n${stderr}`,
          { cause: error },
        );
      }
    }),
    {
      numRuns: RUNS,
      ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
      ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
    },
  );
  expect(child.exitCode).toBeNull();
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
}, 60_000);
