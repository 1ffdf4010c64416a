import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendToRoute } from '../../src/commands/route.js';

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.statusCode = req.url === '/missing' ? 404 : 200;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          type: req.headers['ce-type'],
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('sendToRoute', () => {
  it('sends method, path, headers and body to the route and returns its answer', async () => {
    const result = await sendToRoute(
      base,
      {
        method: 'POST',
        path: '/orders/7?x=1',
        headers: { 'content-type': 'application/json', 'ce-type': 'order.created' },
        body: Buffer.from('{"id":7}'),
      },
      2000,
    );
    expect(result.reached).toBe(true);
    if (!result.reached) return;
    expect(result.response.status).toBe(200);
    expect(result.response.headers['content-type']).toBe('application/json');
    expect(JSON.parse(result.response.body.toString())).toEqual({
      method: 'POST',
      url: '/orders/7?x=1',
      type: 'order.created',
      body: '{"id":7}',
    });
  });

  it("keeps the function's own error status: the route was reached", async () => {
    const result = await sendToRoute(
      `${base}/`,
      { method: 'GET', path: '/missing', headers: {} },
      2000,
    );
    expect(result).toMatchObject({ reached: true, response: { status: 404 } });
  });

  it('reports a route nobody listens on as unreachable, with the reason', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await sendToRoute(
      `http://127.0.0.1:${port}`,
      { method: 'GET', path: '/', headers: {} },
      2000,
    );
    expect(result.reached).toBe(false);
    if (result.reached) return;
    expect(result.reason).toContain('ECONNREFUSED');
  });
});
