import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Context } from '../../src/index.js';
import { closeAll, serve } from './helpers.js';

afterEach(closeAll);

function waitFor(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe('deadlines', () => {
  it('answers 408 at FUNC_TIMEOUT for a handler that never resolves, aborts its signal and keeps serving', async () => {
    let seen: Context | undefined;
    const { url } = await serve(
      {
        handler: (event, context) => {
          if (event.extensions.request.url === '/quick') return 'still serving';
          seen = context;
          return new Promise(() => {});
        },
      },
      { FUNC_TIMEOUT: '0.3' },
    );
    const started = Date.now();
    const res = await fetch(url);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(408);
    expect(((await res.json()) as { error: string }).error).toContain('timed out after 0.3s');
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2000);
    expect(seen?.signal.aborted).toBe(true);
    expect(String((seen?.signal.reason as Error).message)).toContain('timed out');
    expect(await (await fetch(`${url}/quick`)).text()).toBe('still serving');
  });

  it('answers 408 for a synchronous handler that overran the deadline', async () => {
    const { url } = await serve(
      {
        handler: () => {
          const until = Date.now() + 250;
          while (Date.now() < until) {
            // Busy on purpose: synchronous work that cannot be interrupted.
          }
          return 'too late';
        },
      },
      { FUNC_TIMEOUT: '0.1' },
    );
    const res = await fetch(url);
    expect(res.status).toBe(408);
  });

  it('aborts the signal when the client disconnects mid-request, and ignores the late result', async () => {
    let aborted: unknown;
    let finished = false;
    const { url, handle } = await serve({
      handler: async (_event, context) => {
        await new Promise<void>((resolve) => {
          context.signal.addEventListener('abort', () => {
            aborted = context.signal.reason;
            resolve();
          });
        });
        finished = true;
        return 'nobody is listening';
      },
    });
    const controller = new AbortController();
    const pending = fetch(url, { signal: controller.signal }).catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await waitFor(() => finished, 'the handler to observe the abort');
    expect((aborted as Error).message).toBe('client disconnected');
    expect((await fetch(`http://127.0.0.1:${handle.port}/healthz`)).status).toBe(200);
  });

  it('never calls the handler for a client that disconnects mid-body', async () => {
    let calls = 0;
    const { handle } = await serve({ handler: () => void calls++ });
    const socket = connect(handle.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"partial":',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls).toBe(0);
    expect((await fetch(`http://127.0.0.1:${handle.port}/healthz`)).status).toBe(200);
  });

  it('drops a slow client that never finishes its headers', async () => {
    const { handle } = await serve({
      handler: () => 'ok',
      headersTimeout: 300,
      requestTimeout: 600,
    });
    const socket = connect(handle.port, '127.0.0.1');
    let closedAt = 0;
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('close', () => (closedAt = Date.now()));
    await new Promise((resolve) => socket.once('connect', resolve));
    const started = Date.now();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 50);
    try {
      await waitFor(() => closedAt !== 0, 'the server to drop the slow client', 5000);
    } finally {
      clearInterval(trickle);
    }
    expect(closedAt - started).toBeLessThan(3000);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });
});
