import { CloudEvent } from 'cloudevents';
import { describe, expect, it, vi } from 'vitest';
import { HttpError, invokeHandler, response, type Handler } from '../../src/index.js';
import { recordingLogger } from './helpers.js';

const quiet = { env: {}, logger: recordingLogger() };

describe('invokeHandler', () => {
  it('runs the same event/context/response mapping as the server, without a socket', async () => {
    const handler: Handler<{ n: number }> = (event, context) => ({
      doubled: event.data.n * 2,
      method: event.extensions.request.method,
      url: event.extensions.request.url,
      header: event.extensions.request.headers['x-test'],
      name: context['function-name'],
    });
    const result = await invokeHandler(
      handler,
      {
        body: { n: 21 },
        path: '/calc',
        query: { a: 1, b: ['x', 'y'] },
        headers: { 'x-test': 'yes' },
      },
      { env: { FUNC_HANDLER: 'calc' }, logger: recordingLogger() },
    );
    expect(result.statusCode).toBe(200);
    expect(result.headers['content-type']).toBe('application/json');
    expect(result.headers['access-control-allow-origin']).toBe('*');
    expect(result.json()).toEqual({
      doubled: 42,
      method: 'POST',
      url: '/calc?a=1&b=x&b=y',
      header: 'yes',
      name: 'calc',
    });
  });

  it('applies the body rules: no body → {}, text → string, bytes → Buffer, invalid JSON → 400', async () => {
    const kind: Handler = (event) =>
      Buffer.isBuffer(event.data) ? `buffer:${event.data.length}` : JSON.stringify(event.data);
    expect((await invokeHandler(kind, {}, quiet)).text()).toBe('{}');
    expect(
      (
        await invokeHandler(
          kind,
          { body: 'plain', headers: { 'content-type': 'text/plain' } },
          quiet,
        )
      ).text(),
    ).toBe('"plain"');
    expect((await invokeHandler(kind, { body: Buffer.from([1, 2]) }, quiet)).text()).toBe(
      'buffer:2',
    );
    const invalid = await invokeHandler(
      kind,
      { method: 'POST', body: '{oops', headers: { 'content-type': 'application/json' } },
      quiet,
    );
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ error: expect.stringMatching(/^Invalid JSON body/) });
  });

  it('maps thrown errors, HttpError, structured responses and returned CloudEvents', async () => {
    const thrown = await invokeHandler(
      () => {
        throw 'raw string';
      },
      {},
      quiet,
    );
    expect(thrown.statusCode).toBe(500);
    expect(thrown.json()).toEqual({ error: 'Internal Server Error' });
    const notFound = await invokeHandler(
      () => {
        throw new HttpError(404, 'gone');
      },
      {},
      quiet,
    );
    expect([notFound.statusCode, notFound.json()]).toEqual([404, { error: 'gone' }]);
    const created = await invokeHandler(
      () => response({ statusCode: 201, headers: { 'x-id': '9' }, body: 'made' }),
      {},
      quiet,
    );
    expect([created.statusCode, created.headers['x-id'], created.text()]).toEqual([
      201,
      '9',
      'made',
    ]);
    const ce = await invokeHandler(
      () => new CloudEvent({ id: '1', type: 't', source: '/s', data: { x: 1 } }),
      {},
      quiet,
    );
    expect(ce.headers['ce-type']).toBe('t');
    expect(ce.json()).toEqual({ x: 1 });
  });

  it('supports handlers that stream through extensions.response', async () => {
    const streaming: Handler = async (event) => {
      const res = event.extensions.response;
      res.statusCode = 206;
      res.setHeader('content-type', 'text/plain');
      res.write('part 1, ');
      await new Promise((resolve) => setTimeout(resolve, 10));
      res.end('part 2');
    };
    const result = await invokeHandler(streaming, {}, quiet);
    expect(result.statusCode).toBe(206);
    expect(result.text()).toBe('part 1, part 2');
  });

  it('applies the deadline and aborts the signal', async () => {
    let signal: AbortSignal | undefined;
    const result = await invokeHandler(
      (_event, context) => {
        signal = context.signal;
        return new Promise(() => {});
      },
      {},
      { ...quiet, timeout: 0.1 },
    );
    expect(result.statusCode).toBe(408);
    expect(signal?.aborted).toBe(true);
  });

  it('logs fields JSON cannot hold without failing the request', async () => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string) => {
      lines.push(chunk);
      return true;
    }) as typeof process.stdout.write);
    let result;
    try {
      result = await invokeHandler(
        (_event, context) => {
          context.log.info('counted', { n: 1n });
          return 'ok';
        },
        {},
        { env: {} },
      );
    } finally {
      write.mockRestore();
    }
    expect(result.text()).toBe('ok');
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.find((entry) => entry.msg === 'counted')).toMatchObject({
      level: 'info',
      fieldsError: 'the fields could not be serialised as JSON',
    });
  });

  it('passes CloudEvent requests through the same parsing', async () => {
    const result = await invokeHandler(
      (event) => ({ id: event['event-id'], source: event['event-namespace'], data: event.data }),
      {
        method: 'POST',
        headers: {
          'ce-id': 'e1',
          'ce-source': '/src',
          'ce-type': 't',
          'ce-specversion': '1.0',
          'content-type': 'application/json',
        },
        body: '{"k":"v"}',
      },
      quiet,
    );
    expect(result.json()).toEqual({ id: 'e1', source: '/src', data: { k: 'v' } });
  });
});
