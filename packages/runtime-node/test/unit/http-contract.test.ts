import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, response, type Handler } from '../../src/index.js';
import { closeAll, serve } from './helpers.js';
import { collect, exchange, headerValues, onlyResponse, parseResponses } from './raw-http.js';

afterEach(closeAll);

/** Describes event.data so tests can see exactly what the handler received. */
const describeData: Handler = (event) => {
  const data = event.data;
  if (Buffer.isBuffer(data))
    return { kind: 'buffer', length: data.length, text: data.toString('utf8') };
  return { kind: typeof data, value: data };
};

describe('routing', () => {
  it('hands every method and path to the handler, with Kubeless event fields', async () => {
    const { url } = await serve(
      {
        handler: (event, context) => ({
          method: event.extensions.request.method,
          url: event.extensions.request.url,
          id: event['event-id'],
          type: event['event-type'],
          time: event['event-time'],
          namespace: event['event-namespace'],
          context: {
            name: context['function-name'],
            timeout: context.timeout,
            runtime: context.runtime,
            memory: context['memory-limit'],
            aborted: context.signal.aborted,
          },
        }),
      },
      {
        FUNC_HANDLER: 'fn',
        FUNC_TIMEOUT: '7',
        FUNC_RUNTIME: 'nodejs20',
        FUNC_MEMORY_LIMIT: '128Mi',
      },
    );
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      const res = await fetch(`${url}/some/path?x=1`, {
        method,
        headers: {
          'event-id': 'id-1',
          'event-type': 't',
          'event-time': 'now',
          'event-namespace': 'ns',
        },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        method,
        url: '/some/path?x=1',
        id: 'id-1',
        type: 't',
        time: 'now',
        namespace: 'ns',
        context: { name: 'fn', timeout: 7, runtime: 'nodejs20', memory: '128Mi', aborted: false },
      });
    }
    // Only GET is reserved on the runtime's own paths.
    const post = await fetch(`${url}/healthz`, { method: 'POST' });
    expect(((await post.json()) as { url: string }).url).toBe('/healthz');
  });

  it('answers liveness, readiness and metrics itself', async () => {
    const { url } = await serve({ handler: () => 'ok' });
    expect(await (await fetch(`${url}/healthz`)).text()).toBe('OK');
    expect((await fetch(`${url}/health/liveness`)).status).toBe(200);
    expect((await fetch(`${url}/health/readiness?probe=1`)).status).toBe(200);
    await fetch(`${url}/`, { method: 'POST', body: 'x' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('# TYPE function_calls_total counter');
    expect(metrics).toMatch(
      /function_calls_total\{handler="handler",function="handler",runtime="nodejs\d+",method="handler-POST"\} 1/,
    );
    expect(metrics).toContain('# TYPE function_duration_seconds histogram');
    expect(metrics).toMatch(/function_duration_seconds_count\{[^}]*method="handler-POST"\} 1/);
    expect(metrics).toMatch(/function_failures_total\{[^}]*\} 0/);
    expect(metrics).toMatch(/process_resident_memory_bytes \d+/);
  });

  it('reports not ready until init() resolves, and holds handler requests until then', async () => {
    const { start } = await import('../../src/index.js');
    const { recordingLogger } = await import('./helpers.js');
    let releaseInit: () => void = () => {};
    const gate = new Promise<void>((resolve) => (releaseInit = resolve));
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address() as { port: number };
        probe.close(() => resolve(address.port));
      });
    });
    const starting = start({
      handler: { handler: () => 'served', init: () => gate },
      port,
      host: '127.0.0.1',
      env: {},
      logger: recordingLogger(),
    });
    const url = `http://127.0.0.1:${port}`;
    let readiness = 0;
    for (let i = 0; i < 100 && readiness === 0; i++) {
      readiness = await fetch(`${url}/health/readiness`).then(
        (r) => r.status,
        () => 0,
      );
      if (readiness === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(readiness).toBe(503);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const early = fetch(`${url}/`).then((r) => r.text());
    releaseInit();
    expect(await early).toBe('served');
    const handle = await starting;
    expect((await fetch(`${url}/health/readiness`)).status).toBe(200);
    await handle.close();
  });

  it('listens on all interfaces unless a host is given', async () => {
    const { handle } = await serve({ handler: () => 'everywhere', host: undefined });
    expect(['::', '0.0.0.0']).toContain(handle.host);
    expect(await (await fetch(`http://127.0.0.1:${handle.port}/`)).text()).toBe('everywhere');
  });

  it('sends CORS headers and answers preflight, unless turned off', async () => {
    const calls: string[] = [];
    const { url } = await serve({
      handler: (event) => void calls.push(event.extensions.request.method ?? ''),
    });
    const plain = await fetch(url);
    expect(plain.headers.get('access-control-allow-origin')).toBe('*');
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'x-custom',
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('x-custom');
    expect(calls).toEqual(['GET']);

    const off = await serve({ handler: () => 'no cors' }, { FUNC_CORS: 'false' });
    const res = await fetch(off.url, { method: 'OPTIONS' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(await res.text()).toBe('no cors');
  });
});

describe('request bodies', () => {
  it.each([
    ['application/json', '{"a":[1,2]}', { kind: 'object', value: { a: [1, 2] } }],
    ['application/json; charset=utf-8', '"str"', { kind: 'string', value: 'str' }],
    ['application/vnd.api+json', '{"b":true}', { kind: 'object', value: { b: true } }],
    ['text/plain', 'héllo', { kind: 'string', value: 'héllo' }],
    ['text/csv', 'a,b', { kind: 'string', value: 'a,b' }],
    ['application/x-www-form-urlencoded', 'a=1&b=2', { kind: 'string', value: 'a=1&b=2' }],
    ['application/octet-stream', 'raw', { kind: 'buffer', length: 3, text: 'raw' }],
    ['image/png', 'png', { kind: 'buffer', length: 3, text: 'png' }],
  ])('%s becomes the right event.data', async (contentType, body, expected) => {
    const { url } = await serve({ handler: describeData });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    expect(await res.json()).toEqual(expected);
  });

  it('treats a body without Content-Type as bytes', async () => {
    const { url } = await serve({ handler: describeData });
    const res = await fetch(url, { method: 'POST', body: new Uint8Array([1, 2, 3]) });
    expect(await res.json()).toMatchObject({ kind: 'buffer', length: 3 });
  });

  it('follows Kubeless for empty bodies: none framed → {}, framed but empty → empty Buffer', async () => {
    const { url } = await serve({ handler: describeData });
    expect(await (await fetch(url)).json()).toEqual({ kind: 'object', value: {} });
    const framed = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '',
    });
    expect(await framed.json()).toEqual({ kind: 'buffer', length: 0, text: '' });
  });

  it('answers invalid JSON with 400 and a short message, never 500', async () => {
    let called = false;
    const { url } = await serve({ handler: () => void (called = true) });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(/^Invalid JSON body/);
    expect(JSON.stringify(body)).not.toContain('at ');
    expect(called).toBe(false);
  });

  it('refuses bodies over REQ_MB_LIMIT with 413, declared or streamed', async () => {
    const { url } = await serve({ handler: describeData }, { REQ_MB_LIMIT: '0.001' }); // 1048 bytes
    const declared = await fetch(url, { method: 'POST', body: 'x'.repeat(2000) });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: string }).error).toContain('REQ_MB_LIMIT');
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(600));
        controller.close();
      },
    });
    const streamed = await fetch(url, {
      method: 'POST',
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const fits = await fetch(url, { method: 'POST', body: 'x'.repeat(1000) });
    expect(fits.status).toBe(200);
  });
});

describe('refused bodies', () => {
  const oversized = (head: string, body: Buffer): Buffer =>
    Buffer.concat([Buffer.from(head), body]);

  it('lets the client read the 413 for a declared oversized body, 30 times in a row', async () => {
    const { handle } = await serve({ handler: () => 'never called' }, { REQ_MB_LIMIT: '0.001' });
    const body = Buffer.alloc(4 * 1024 * 1024, 'x');
    const request = oversized(
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
    );
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 30; attempt++) {
      const reply = await exchange(handle.port, request);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(reply.bytes.toString('latin1'))?.[1];
      outcomes.push(`${status ?? 'no response'}${reply.error ? ` ${reply.error}` : ''}`);
    }
    expect(outcomes).toEqual(Array.from({ length: 30 }, () => '413'));
  });

  it('lets the client read the 413 for a chunked body that grows too large', async () => {
    const { handle } = await serve({ handler: () => 'never called' }, { REQ_MB_LIMIT: '0.001' });
    const chunk = Buffer.alloc(64 * 1024, 'y');
    const chunks = Array.from({ length: 32 }, () =>
      Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]),
    );
    const request = oversized(
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      Buffer.concat([...chunks, Buffer.from('0\r\n\r\n')]),
    );
    const reply = await exchange(handle.port, request);
    expect(reply.error).toBeUndefined();
    const refused = onlyResponse(reply, 'POST');
    expect(refused.status).toBe(413);
    expect(headerValues(refused, 'connection')).toEqual(['close']);
    expect(JSON.parse(refused.body.toString())).toMatchObject({
      error: expect.stringContaining('REQ_MB_LIMIT'),
    });
  });

  it('closes a refused connection whose client keeps sending, within a bounded time', async () => {
    const { handle } = await serve({ handler: () => 'never called' }, { REQ_MB_LIMIT: '0.001' });
    const socket = connect(handle.port, '127.0.0.1');
    const reply = collect(socket, 10_000);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('z'.repeat(1024)), 20);
    const started = Date.now();
    try {
      const { bytes } = await reply;
      expect(bytes.toString('latin1')).toMatch(/^HTTP\/1\.1 413 /);
    } finally {
      clearInterval(trickle);
    }
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('response mapping', () => {
  it.each([
    ['a string', () => 'hi', 'text/plain; charset=utf-8', 'hi'],
    ['an object', () => ({ a: 1 }), 'application/json', '{"a":1}'],
    ['an array', () => [1, 'b'], 'application/json', '[1,"b"]'],
    ['a number', () => 42, 'application/json', '42'],
    ['a boolean', () => false, 'application/json', 'false'],
    ['null', () => null, 'application/json', 'null'],
    ['a Buffer', () => Buffer.from('bytes'), 'application/octet-stream', 'bytes'],
    ['a Uint8Array', () => new TextEncoder().encode('u8'), 'application/octet-stream', 'u8'],
    ['a promise of an object', async () => ({ later: true }), 'application/json', '{"later":true}'],
  ] as Array<[string, Handler, string, string]>)('maps %s', async (_name, handler, type, body) => {
    const { url } = await serve({ handler });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(await res.text()).toBe(body);
  });

  it('maps undefined to an empty 200', async () => {
    const { url } = await serve({ handler: () => undefined });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBeNull();
    expect(await res.text()).toBe('');
  });

  it('uses the structured helper status, headers and body', async () => {
    const { url } = await serve({
      handler: () =>
        response({
          statusCode: 201,
          headers: { location: '/items/1', 'x-a': 'b' },
          body: { id: 1 },
        }),
    });
    const res = await fetch(url, { method: 'POST' });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/items/1');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ id: 1 });

    const typed = await serve({
      handler: () => response({ headers: { 'Content-Type': 'text/html' }, body: '<p>x</p>' }),
    });
    const html = await fetch(typed.url);
    expect(html.headers.get('content-type')).toBe('text/html');
    expect(await html.text()).toBe('<p>x</p>');
    expect(() => response({ statusCode: 99 })).toThrow(/statusCode/);
  });

  it('ignores the return value when the handler streamed through extensions.response', async () => {
    const { url } = await serve({
      handler: async (event) => {
        const res = event.extensions.response;
        res.writeHead(202, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
        await new Promise((resolve) => setTimeout(resolve, 20));
        res.end('data: 2\n\n');
        return 'ignored';
      },
    });
    const res = await fetch(url);
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('data: 1\n\ndata: 2\n\n');
  });
});

describe('errors', () => {
  it.each([
    [
      'an Error',
      () => {
        throw new Error('secret detail');
      },
    ],
    [
      'a rejected promise',
      async () => {
        throw new Error('secret detail');
      },
    ],
    [
      'a string',
      () => {
        throw 'secret detail';
      },
    ],
    [
      'null',
      () => {
        throw null;
      },
    ],
    [
      'undefined',
      () => {
        throw undefined;
      },
    ],
    [
      'a number',
      () => {
        throw 42;
      },
    ],
    [
      'a plain object',
      () => {
        throw { secret: 'detail' };
      },
    ],
    ['a rejection with no reason', () => Promise.reject()],
    ['an unrepresentable result', () => Symbol('x')],
    [
      'a circular object',
      () => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      },
    ],
  ] as Array<[string, Handler]>)(
    'answers 500 without internals when the handler throws %s',
    async (_name, handler) => {
      const { url, log } = await serve({ handler });
      const res = await fetch(url);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: 'Internal Server Error' });
      expect(text).not.toContain('secret');
      expect(log.entries.some((e) => e.level === 'error')).toBe(true);
      // The process keeps serving.
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    },
  );

  it('logs the stack server-side and includes it for the client only with FUNC_DEBUG=1', async () => {
    const failing: Handler = () => {
      throw new Error('kaput');
    };
    const quiet = await serve({ handler: failing });
    await fetch(quiet.url);
    const logged = quiet.log.entries.find((e) => e.level === 'error');
    expect(String(logged?.fields?.error)).toMatch(/Error: kaput\n\s+at /);

    const debug = await serve({ handler: failing }, { FUNC_DEBUG: '1' });
    const body = (await (await fetch(debug.url)).json()) as { stack: string };
    expect(body.stack).toContain('Error: kaput');
  });

  it('uses the status code of HttpError and of any error carrying statusCode', async () => {
    const { url } = await serve({
      handler: (event) => {
        const path = event.extensions.request.url;
        if (path === '/missing') throw new HttpError(404, 'no such item');
        if (path === '/teapot')
          throw Object.assign(new Error('short and stout'), { statusCode: 418 });
        if (path === '/unavailable')
          throw new HttpError(503, 'database password is hunter2', {
            headers: { 'retry-after': '5' },
          });
        return 'fine';
      },
    });
    const missing = await fetch(`${url}/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no such item' });
    const teapot = await fetch(`${url}/teapot`);
    expect(teapot.status).toBe(418);
    expect(await teapot.json()).toEqual({ error: 'short and stout' });
    const unavailable = await fetch(`${url}/unavailable`);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('5');
    expect(await unavailable.json()).toEqual({ error: 'Service Unavailable' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/function_failures_total\{[^}]*method="handler-GET"\} 3/);
  });
});

describe('draining', () => {
  it('reports not ready and closes keep-alive connections while in-flight requests finish', async () => {
    let shutdownRan = false;
    const { handle } = await serve({
      handler: {
        handler: async () => {
          await new Promise((resolve) => setTimeout(resolve, 300));
          return 'finished';
        },
        shutdown: () => {
          shutdownRan = true;
        },
      },
    });
    const socket = connect(handle.port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    const socketClosed = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    // A slow request in flight, then — once draining — a readiness probe on the same connection.
    socket.write('GET /work HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = handle.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.write('GET /health/readiness HTTP/1.1\r\nHost: x\r\n\r\n');
    await socketClosed;
    await closing;
    const responses = received.split(/(?=HTTP\/1\.1 )/);
    expect(responses).toHaveLength(2);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200[\s\S]*finished$/);
    expect(responses[1]).toMatch(/^HTTP\/1\.1 503[\s\S]*Connection: close[\s\S]*Draining$/);
    expect(shutdownRan).toBe(true);
  });

  it('answers a request already on its way over an idle keep-alive connection', async () => {
    const { handle } = await serve({ handler: (event) => event.extensions.request.url });
    const socket = connect(handle.port, '127.0.0.1');
    const reply = collect(socket, 5000);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => socket.once('data', resolve));
    // The next request is on the wire, not yet read, as the drain starts.
    socket.write('GET /second HTTP/1.1\r\nHost: x\r\n\r\n');
    const closing = handle.close();
    const { bytes, error } = await reply;
    await closing;
    expect(error).toBeUndefined();
    const responses = parseResponses(bytes, 'GET');
    expect(responses.map((r) => [r.status, r.body.toString()])).toEqual([
      [200, '/first'],
      [200, '/second'],
    ]);
    expect(headerValues(responses[1]!, 'connection')).toEqual(['close']);
  });

  it('answers a request in flight when the drain starts with Connection: close', async () => {
    const { handle } = await serve({
      handler: () => new Promise((resolve) => setTimeout(resolve, 150, 'finished')),
    });
    const socket = connect(handle.port, '127.0.0.1');
    const reply = collect(socket, 5000);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 30));
    const closing = handle.close();
    const { bytes, error } = await reply;
    await closing;
    expect(error).toBeUndefined();
    const response = parseResponses(bytes, 'GET');
    expect(response).toHaveLength(1);
    expect(response[0]!.body.toString()).toBe('finished');
    expect(headerValues(response[0]!, 'connection')).toEqual(['close']);
  });

  it('keeps idle keep-alive connections for a grace moment, then closes them', async () => {
    const { handle } = await serve({ handler: (event) => event.extensions.request.url });
    const idle = connect(handle.port, '127.0.0.1');
    const late = connect(handle.port, '127.0.0.1');
    const idleReply = collect(idle, 5000);
    const lateReply = collect(late, 5000);
    await Promise.all(
      [idle, late].map((s) => new Promise((resolve) => s.once('connect', resolve))),
    );
    for (const socket of [idle, late]) {
      socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((resolve) => socket.once('data', resolve));
    }
    const started = Date.now();
    const closing = handle.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    late.write('GET /late HTTP/1.1\r\nHost: x\r\n\r\n');
    const lateResponses = parseResponses((await lateReply).bytes, 'GET');
    expect(lateResponses.map((r) => r.body.toString())).toEqual(['/first', '/late']);
    expect(headerValues(lateResponses[1]!, 'connection')).toEqual(['close']);
    const idleResult = await idleReply;
    await closing;
    expect(idleResult.error).toBeUndefined();
    expect(parseResponses(idleResult.bytes, 'GET')).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('logs the drain: requests in flight when it started and the time it took', async () => {
    const { handle, url, log } = await serve({
      handler: () => new Promise((resolve) => setTimeout(resolve, 100, 'done')),
    });
    const pending = fetch(url).then((res) => res.text());
    await new Promise((resolve) => setTimeout(resolve, 30));
    await handle.close();
    expect(await pending).toBe('done');
    const started = log.entries.find((entry) => entry.message === 'Draining');
    const finished = log.entries.find((entry) => entry.message === 'Drained');
    expect(started?.fields).toEqual({ inFlight: 1 });
    expect(finished?.fields).toMatchObject({ inFlight: 1, durationMs: expect.any(Number) });
    expect(finished!.fields!.durationMs as number).toBeGreaterThanOrEqual(50);
  });

  it('cuts requests still running after FUNC_GRACE_PERIOD and finishes closing', async () => {
    const { handle, url } = await serve({ handler: () => new Promise(() => {}), gracePeriod: 0.2 });
    const stuck = fetch(url).then(
      (res) => `answered ${res.status}`,
      () => 'connection cut',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await handle.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await stuck).toBe('connection cut');
  });
});
