// Whatever a handler returns or throws, the runtime answers with one well-formed response and keeps
// serving: values it cannot write become a plain 500, and nothing reaches the wire unchecked.
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, response, type Handler } from '../../src/index.js';
import { closeAll, serve } from './helpers.js';
import { exchange, headerValues, onlyResponse } from './raw-http.js';

afterEach(closeAll);

const INTERNAL_ERROR = '{"error":"Internal Server Error"}';

/** A Proxy that throws from every trap: any look at it runs code that fails. */
function hostile(): object {
  const boom = (): never => {
    throw new Error('trap');
  };
  return new Proxy(
    {},
    {
      get: boom,
      has: boom,
      ownKeys: boom,
      getPrototypeOf: boom,
      getOwnPropertyDescriptor: boom,
      apply: boom,
      construct: boom,
      defineProperty: boom,
      deleteProperty: boom,
      isExtensible: boom,
      preventExtensions: boom,
      set: boom,
      setPrototypeOf: boom,
    },
  );
}

/** A structured response whose status is what response() would refuse (as another copy could build). */
function withStatus(statusCode: unknown): unknown {
  return { ...response({ body: 'x' }), statusCode };
}

const unwritable: Array<[string, () => unknown]> = [
  ['a header value with CR/LF', () => response({ headers: { 'x-note': 'ok\r\nx-injected: yes' } })],
  [
    'a header value with a bare LF',
    () => response({ headers: { 'x-note': 'ok\nx-injected: yes' } }),
  ],
  ['an invalid header name', () => response({ headers: { 'bad name': 'x' } })],
  ['a header name with CR/LF', () => response({ headers: { 'x-a\r\nx-injected': 'yes' } })],
  ['a status code above 599', () => withStatus(1000)],
  ['a 1xx status code (no final response)', () => withStatus(101)],
  ['a non-integer status code', () => withStatus(200.5)],
  ['a string status code', () => withStatus('200')],
  ['a Symbol header value', () => response({ headers: { 'x-s': Symbol('s') as never } })],
  [
    'a header value object whose toString changes',
    () => {
      let calls = 0;
      const value = { toString: () => (calls++ === 0 ? 'fine' : 'a\r\nx-injected: yes') };
      return response({ headers: { 'x-v': value as never } });
    },
  ],
  ['a header value of characters above U+00FF', () => response({ headers: { 'x-u': 'snow ☃' } })],
  ['headers that are a throwing Proxy', () => response({ headers: hostile() as never })],
  [
    'a structured response with a throwing getter',
    () => ({
      ...response({}),
      get statusCode(): number {
        throw new Error('getter');
      },
    }),
  ],
  ['a BigInt', () => 10n],
  ['an object holding a BigInt', () => ({ n: 1n })],
  [
    'an object whose toJSON throws',
    () => ({
      toJSON() {
        throw new Error('toJSON');
      },
    }),
  ],
  ['an object whose toJSON returns undefined', () => ({ toJSON: () => undefined })],
  [
    'an object with a throwing enumerable getter',
    () => ({
      get boom(): never {
        throw new Error('getter');
      },
    }),
  ],
  ['a Proxy that throws on every trap', () => hostile()],
  ['a function', () => () => 'not data'],
  [
    'a thenable whose then() throws',
    () => ({
      then() {
        throw new Error('then');
      },
    }),
  ],
  [
    'a thenable whose then getter throws',
    () => ({
      get then(): never {
        throw new Error('then getter');
      },
    }),
  ],
  ['a thenable that resolves to a BigInt', () => ({ then: (ok: (v: unknown) => void) => ok(1n) })],
];

const unwritableErrors: Array<[string, () => unknown]> = [
  [
    'an HttpError with a CR/LF header',
    () => new HttpError(503, 'busy', { headers: { 'retry-after': '1\r\nx-injected: yes' } }),
  ],
  [
    'an error whose statusCode getter throws',
    () => ({
      get statusCode(): never {
        throw new Error('getter');
      },
    }),
  ],
  [
    'an error whose status getter throws',
    () => ({
      get status(): never {
        throw new Error('getter');
      },
    }),
  ],
  [
    'a 4xx error whose message getter throws',
    () => ({
      statusCode: 404,
      get message(): never {
        throw new Error('getter');
      },
    }),
  ],
  [
    'an error whose headers getter throws',
    () => ({
      statusCode: 429,
      get headers(): never {
        throw new Error('getter');
      },
    }),
  ],
  ['a Proxy that throws on every trap', () => hostile()],
  ['a Symbol', () => Symbol('thrown')],
  [
    'an object whose inspect hook throws',
    () => ({
      [inspect.custom]() {
        throw new Error('inspect');
      },
    }),
  ],
  [
    'an Error whose stack getter throws',
    () =>
      Object.defineProperty(new Error('x'), 'stack', {
        get(): never {
          throw new Error('stack');
        },
      }),
  ],
];

type Variant = [string, (make: () => unknown) => Handler];
const returning: Variant[] = [
  ['returned by a synchronous handler', (make) => () => make()],
  ['resolved by an async handler', (make) => async () => make()],
];
const throwing: Variant[] = [
  [
    'thrown by a synchronous handler',
    (make) => () => {
      throw make();
    },
  ],
  [
    'rejected by an async handler',
    (make) => async () => {
      throw make();
    },
  ],
];

const variants: Array<[string, Variant[1], typeof unwritable]> = [
  ...returning.map(([how, wrap]): [string, Variant[1], typeof unwritable] => [
    how,
    wrap,
    unwritable,
  ]),
  ...throwing.map(([how, wrap]): [string, Variant[1], typeof unwritable] => [
    how,
    wrap,
    unwritableErrors,
  ]),
];

const GET = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

describe.each(variants)('a value %s', (_how, wrap, cases) => {
  it.each(cases)('answers a plain 500 for %s', async (_name, make) => {
    const { handle, log } = await serve({ handler: wrap(make) });
    const reply = onlyResponse(await exchange(handle.port, GET));
    expect(reply.status).toBe(500);
    expect(reply.body.toString()).toBe(INTERNAL_ERROR);
    expect(headerValues(reply, 'x-injected')).toEqual([]);
    expect(headerValues(reply, 'content-type')).toEqual(['application/json']);
    expect(log.entries.some((entry) => entry.level === 'error')).toBe(true);
  });

  it('keeps serving, and answers a request in flight, while every one of them fails', async () => {
    const { handle, url } = await serve({
      handler: (event, context) => {
        const path = event.extensions.request.url ?? '/';
        if (path === '/slow')
          return new Promise((resolve) => setTimeout(resolve, 200, 'slow done'));
        return wrap(cases[Number(path.slice(1))]![1])(event, context);
      },
    });
    const slow = fetch(`${url}/slow`).then((res) => res.text());
    for (let index = 0; index < cases.length; index++) {
      const request = `GET /${index} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
      expect(onlyResponse(await exchange(handle.port, request)).status).toBe(500);
    }
    expect(await slow).toBe('slow done');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});

describe('handler-supplied headers', () => {
  it('leaves the body framing and the connection to the runtime', async () => {
    const smuggled = 'HTTP/1.1 200 OK\r\nx-smuggled: yes\r\n\r\n';
    const { handle } = await serve({
      handler: () =>
        response({
          headers: { 'Content-Length': '2', 'transfer-encoding': 'gzip', connection: 'keep-alive' },
          body: smuggled,
        }),
    });
    // The client asked to close: a handler's `Connection: keep-alive` must not hold it open.
    const raw = await exchange(handle.port, GET, 2000);
    expect(raw.error).toBeUndefined();
    const reply = onlyResponse(raw);
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe(smuggled);
    expect(headerValues(reply, 'content-length')).toEqual([String(Buffer.byteLength(smuggled))]);
    expect(headerValues(reply, 'transfer-encoding')).toEqual([]);
    expect(headerValues(reply, 'connection')).toEqual(['close']);
  });

  it('sends valid headers, numbers and arrays as given', async () => {
    const { handle } = await serve({
      handler: () =>
        response({
          statusCode: 202,
          headers: { 'x-count': 3, 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/csv' },
          body: 'a,b',
        }),
    });
    const reply = onlyResponse(await exchange(handle.port, GET));
    expect(reply.status).toBe(202);
    expect(headerValues(reply, 'x-count')).toEqual(['3']);
    expect(headerValues(reply, 'set-cookie')).toEqual(['a=1', 'b=2']);
    expect(headerValues(reply, 'content-type')).toEqual(['text/csv']);
  });

  it('refuses a final status outside 200-599 in response()', () => {
    expect(() => response({ statusCode: 101 })).toThrow(/statusCode must be an integer 200-599/);
    expect(() => response({ statusCode: 600 })).toThrow(/statusCode must be an integer 200-599/);
  });
});
