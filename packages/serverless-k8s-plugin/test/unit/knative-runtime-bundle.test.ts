// The bundled runtime must run alone in a stock Node image: no node_modules beside it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { runtimeBundle, runtimeCliPath } from '../../src/packaging/runtime-bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'sk8s-runtime-bundle-'));
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `node runtime.js handler.js --handler NAME --port 0`; resolves with the port it logs. */
function startRuntime(): Promise<number> {
  child = spawn(
    process.execPath,
    [join(dir, 'runtime.js'), join(dir, 'handler.js'), '--handler', 'hello', '--port', '0'],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', FUNC_TIMEOUT: '5' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`runtime did not start: ${stderr.join('')}`)),
      10_000,
    );
    child?.on('exit', (code) =>
      reject(new Error(`runtime exited with ${code}: ${stderr.join('')}`)),
    );
    const lines = createInterface({ input: child?.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const port = (JSON.parse(line) as { port?: number }).port;
      if (port) {
        clearTimeout(timer);
        resolve(port);
      }
    });
  });
}

describe('runtime bundle', () => {
  it('resolves the runtime CLI through the package', () => {
    expect(runtimeCliPath()).toMatch(/runtime-node[/\\]dist[/\\]cli\.js$/);
  });

  it('is one CommonJS file with cloudevents inlined, built once per process', () => {
    const bundle = runtimeBundle();
    expect(runtimeBundle()).toBe(bundle);
    const text = bundle.toString('utf8');
    expect(text).not.toMatch(/require\("cloudevents"\)|from"cloudevents"|^import /m);
    expect(bundle.length).toBeGreaterThan(10_000);
    expect(bundle.length).toBeLessThan(512 * 1024); // leaves most of the 1 MiB ConfigMap to the function
  });

  it('runs alone next to a bundled handler and answers HTTP and CloudEvents', async () => {
    writeFileSync(join(dir, 'runtime.js'), runtimeBundle());
    writeFileSync(
      join(dir, 'handler.js'),
      'exports.hello = async (event) => ({ got: event.data, type: event["event-type"] });\n',
    );
    const port = await startRuntime();
    const plain = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 1 }),
    });
    expect(await plain.json()).toEqual({ got: { n: 1 } });
    const cloudEvent = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-id': 'e1',
        'ce-source': '/test',
        'ce-type': 'shop.order.created',
        'ce-specversion': '1.0',
      },
      body: JSON.stringify({ order: 7 }),
    });
    expect(await cloudEvent.json()).toEqual({ got: { order: 7 }, type: 'shop.order.created' });
    const readiness = await fetch(`http://127.0.0.1:${port}/health/readiness`);
    expect(readiness.status).toBe(200);
  });
});
