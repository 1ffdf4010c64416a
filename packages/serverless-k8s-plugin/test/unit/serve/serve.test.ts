// `serve` end to end on loopback: a real service directory, the real packaging, one runtime
// process per function, real HTTP.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRuntimeCli } from '../../../src/commands/serve.js';
import { normalize } from '../../../src/model/normalize.js';
import { startServe, type ServeHandle, type ServeLog } from '../../../src/serve/server.js';

const pluginDir = path.resolve(import.meta.dirname, '../../..');
const runtimeCli = resolveRuntimeCli(pluginDir);

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

function recordingLog(): ServeLog & { lines: string[] } {
  const lines: string[] = [];
  const record = (message: string) => void lines.push(message);
  return {
    lines,
    info: record,
    warning: record,
    error: record,
    output: (key, line) => record(`[${key}] ${line}`),
  };
}

/** Polls until `check` returns a value (bounded), for what happens asynchronously in the server. */
async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const helloSource = (greeting: string) => `
export function hello(event: { extensions: { request: { url?: string } } }) {
  return { greeting: '${greeting}', url: event.extensions.request.url, env: process.env.GREETING_STYLE, pid: process.pid };
}
`;

const KUBELESS_FILES = {
  'src/hello.ts': helloSource('hello v1'),
  'src/users.ts': `
export const list = () => ({ users: ['ada'], pid: process.pid });
export const create = (event: { data: { name: string } }) => ({ created: event.data.name });
`,
  'src/ticker.ts': `
const fired: unknown[] = [];
export function tick(event: Record<string, unknown>) {
  if (event['event-namespace'] === 'cronjobtrigger.kubeless.io') {
    fired.push({ data: event.data, type: event['event-type'] });
    return { fired: fired.length };
  }
  return { fired };
}
`,
  'src/crash.ts': `
export function crash() {
  setTimeout(() => {
    console.error('giving up');
    process.exit(3);
  }, 20);
  return 'bye';
}
`,
  'legacy/handler.py': 'def hello(event, context):\n    return "hello from python"\n',
  'src/echo.ts': `
export function echo(event: Record<string, unknown> & { extensions: { cloudevent?: unknown } }) {
  return {
    id: event['event-id'],
    type: event['event-type'],
    source: event['event-namespace'],
    data: event.data,
    cloudevent: event.extensions.cloudevent !== undefined,
  };
}
`,
};

const KUBELESS_FUNCTIONS = {
  hello: {
    handler: 'src/hello.hello',
    environment: { GREETING_STYLE: 'formal' },
    events: [{ http: { path: '/hello', method: 'GET' } }],
  },
  'list-users': {
    handler: 'src/users.list',
    events: [{ http: { path: '/users', method: 'GET' } }],
  },
  'create-user': {
    handler: 'src/users.create',
    events: [{ http: { path: '/users', method: 'POST' } }],
  },
  ticker: {
    handler: 'src/ticker.tick',
    events: [
      { schedule: { name: 'every-minute', cron: '* * * * *', payload: { from: 'cron' } } },
      { http: { path: '/ticks', method: 'GET' } },
    ],
  },
  crasher: { handler: 'src/crash.crash', events: [{ http: { path: '/crash' } }] },
  legacy: {
    handler: 'legacy/handler.hello',
    runtime: 'python3.9',
    events: [{ http: { path: '/legacy' } }],
  },
  echo: {
    handler: 'src/echo.echo',
    environment: [
      { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
    ],
    events: [{ http: { path: '/echo' } }, { trigger: 'orders' }],
  },
};

async function get(handle: ServeHandle, urlPath: string, init?: RequestInit) {
  const response = await fetch(`${handle.url}${urlPath}`, init);
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('serve (kubeless service)', () => {
  let dir: string;
  let handle: ServeHandle;
  const log = recordingLog();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sk8s-serve-'));
    await writeFiles(dir, {
      ...KUBELESS_FILES,
      'serverless.yml': 'service: serve-fixture\n',
      // An ESM service: the CommonJS bundles must still load as CommonJS.
      'package.json': '{ "name": "serve-fixture", "type": "module" }\n',
    });
    const model = normalize({
      service: 'serve-fixture',
      stage: 'dev',
      servicePath: dir,
      provider: { name: 'kubeless', runtime: 'nodejs20' },
      functions: KUBELESS_FUNCTIONS,
    });
    // The scheduler's clock stands 300 ms before a minute boundary when the scheduler first reads
    // it, so the every-minute schedule fires almost at once instead of up to a minute later.
    const fakeStart = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000 - 300;
    let realStart: number | undefined;
    const now = () => fakeStart + (Date.now() - (realStart ??= Date.now()));
    handle = await startServe({
      model,
      port: 0,
      host: '127.0.0.1',
      runtimeCli,
      buildDir: path.join(dir, '.serverless', 'serve'),
      log,
      now,
      debounceMs: 50,
    });
  }, 60_000);

  afterAll(async () => {
    await handle?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fires a schedule on time with the Kubeless CronJobTrigger request', async () => {
    expect(handle.schedules).toHaveLength(1);
    const body = await eventually(async () => {
      const answer = await get(handle, '/ticks');
      return (answer.body.fired as unknown[]).length > 0 ? answer.body : undefined;
    }, 10_000);
    expect(body.fired).toEqual([{ data: { from: 'cron' }, type: 'application/json' }]);
    await eventually(async () =>
      log.lines.some((line) => /^schedule ticker\/every-minute → 200 \(\d+ ms\)$/.test(line))
        ? true
        : undefined,
    );
  });

  it('routes by path and method, on one port', async () => {
    const hello = await get(handle, '/hello?x=1');
    expect(hello.status).toBe(200);
    expect(hello.body).toMatchObject({ greeting: 'hello v1', url: '/hello?x=1', env: 'formal' });

    const list = await get(handle, '/users');
    expect(list.body.users).toEqual(['ada']);
    const created = await get(handle, '/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'grace' }),
    });
    expect(created.body).toEqual({ created: 'grace' });
    // A CORS preflight reaches the function's runtime, which answers it as in the cluster.
    const preflight = await fetch(`${handle.url}/hello`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    // Each function runs in its own process, as in its own pod.
    expect(list.body.pid).not.toBe(hello.body.pid);
  });

  it('answers 404 with the known routes and 405 with the allowed methods', async () => {
    const missing = await get(handle, '/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('No function serves GET /nope');
    expect(missing.body.routes).toEqual(
      expect.arrayContaining([
        'GET    /hello → hello',
        'POST   /users → create-user',
        'POST   /__sk8s/schedule/ticker/every-minute (fires the schedule now)',
      ]),
    );
    const wrongMethod = await get(handle, '/hello', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });

  it('fires a schedule on demand and returns the function’s answer', async () => {
    const before = ((await get(handle, '/ticks')).body.fired as unknown[]).length;
    const fired = await get(handle, '/__sk8s/schedule/ticker/every-minute', { method: 'POST' });
    expect(fired.status).toBe(200);
    expect(fired.body).toEqual({ fired: before + 1 });
    const unknown = await get(handle, '/__sk8s/schedule/ticker/hourly', { method: 'POST' });
    expect(unknown.status).toBe(404);
  });

  it('accepts CloudEvents in binary mode at /__sk8s/events/<fn> and structured at the function’s path', async () => {
    const binary = await get(handle, '/__sk8s/events/echo', {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'evt-1',
        'ce-type': 'com.example.order.created',
        'ce-source': '/shop',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ order: 7 }),
    });
    expect(binary.body).toEqual({
      id: 'evt-1',
      type: 'com.example.order.created',
      source: '/shop',
      data: { order: 7 },
      cloudevent: true,
    });

    const structured = await get(handle, '/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({
        specversion: '1.0',
        id: 'evt-2',
        type: 'com.example.ping',
        source: '/cli',
        data: 'hi',
      }),
    });
    expect(structured.body).toMatchObject({
      id: 'evt-2',
      type: 'com.example.ping',
      data: 'hi',
      cloudevent: true,
    });
  });

  it('delivers a plain message at /__sk8s/events/<fn> as the Kubeless Kafka trigger does', async () => {
    const message = await get(handle, '/__sk8s/events/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ order: 8 }),
    });
    expect(message.body).toMatchObject({
      source: 'kafkatriggers.kubeless.io',
      type: 'application/json',
      data: { order: 8 },
      cloudevent: false,
    });
    expect(message.body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports a function process that died, with its exit code and last output', async () => {
    const first = await fetch(`${handle.url}/crash`);
    expect(await first.text()).toBe('bye');
    const after = await eventually(async () => {
      const answer = await get(handle, '/crash');
      // A call racing the exit may see the connection reset first.
      return answer.status === 502 && /exited/.test(String(answer.body.error))
        ? answer.body
        : undefined;
    });
    expect(after.error).toMatch(/^function crasher exited with code 3\n(.|\n)*giving up/);
    expect(after.error).toContain('(it restarts when a source file changes)');
  });

  it('skips functions it cannot run, saying why', async () => {
    expect(log.lines).toContain(
      'legacy: uses the python3.9 runtime; serve runs Node.js handlers, so it is skipped.',
    );
    const answer = await get(handle, '/legacy');
    expect(answer.status).toBe(502);
    expect(answer.body.error).toBe(
      'function legacy uses the python3.9 runtime, which serve does not run',
    );
  });

  it('names environment variables only the cluster can resolve, without values', () => {
    expect(log.lines.some((line) => line.startsWith('echo: API_TOKEN come from the cluster'))).toBe(
      true,
    );
  });

  it('reloads a function when its source changes, on the same port, leaving the others running', async () => {
    const before = await get(handle, '/hello');
    const usersPid = (await get(handle, '/users')).body.pid;
    await writeFile(path.join(dir, 'src/hello.ts'), helloSource('hello v2'));
    const after = await eventually(async () => {
      const answer = await get(handle, '/hello');
      return answer.body.greeting === 'hello v2' ? answer.body : undefined;
    });
    expect(after.pid).not.toBe(before.body.pid);
    expect((await get(handle, '/users')).body.pid).toBe(usersPid);
    // The crashed function of the test above restarts with any reload; the healthy ones stay.
    const reloaded = await eventually(async () =>
      log.lines.find((line) => /^reloaded .*\bhello\b/.test(line)),
    );
    expect(reloaded).not.toMatch(/list-users|create-user|ticker|echo/);
  });

  it('answers a build error until the source builds again', async () => {
    await writeFile(path.join(dir, 'src/hello.ts'), 'export function hello( {');
    const broken = await eventually(async () => {
      const answer = await get(handle, '/hello');
      return answer.status === 502 ? answer.body : undefined;
    });
    expect(broken.error).toMatch(/^build failed: .*src\/hello\.ts/s);
    await writeFile(path.join(dir, 'src/hello.ts'), helloSource('hello v3'));
    const fixed = await eventually(async () => {
      const answer = await get(handle, '/hello');
      return answer.body.greeting === 'hello v3' ? answer.body : undefined;
    });
    expect(fixed.greeting).toBe('hello v3');
  });
});

describe('serve (knative service)', () => {
  let dir: string;
  let handle: ServeHandle;
  const log = recordingLog();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sk8s-serve-kn-'));
    await writeFiles(dir, {
      'serverless.yml': 'service: serve-kn\n',
      'src/echo.ts': KUBELESS_FILES['src/echo.ts'],
    });
    const model = normalize({
      service: 'serve-kn',
      stage: 'dev',
      servicePath: dir,
      provider: { name: 'knative' },
      functions: {
        pinged: {
          handler: 'src/echo.echo',
          events: [{ schedule: { name: 'ping', cron: '0 0 1 1 *', data: { hello: 'ping' } } }],
        },
        orders: {
          handler: 'src/echo.echo',
          events: [{ cloudEvent: { filter: { attributes: { type: 'com.example.order' } } } }],
        },
      },
    });
    handle = await startServe({
      model,
      port: 0,
      host: '127.0.0.1',
      runtimeCli,
      buildDir: path.join(dir, '.serverless', 'serve'),
      log,
      watch: false,
    });
  }, 60_000);

  afterAll(async () => {
    await handle?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('mounts each function at /<name> (prefix stripped) and by host <name>.localhost', async () => {
    const byPath = await get(handle, '/orders/anything', {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': '1',
        'ce-type': 'com.example.order',
        'ce-source': '/t',
        'content-type': 'application/json',
      },
      body: '{"n":1}',
    });
    expect(byPath.body).toMatchObject({ type: 'com.example.order', data: { n: 1 } });
    // fetch does not let a caller set Host; node:http does.
    const byHost = await new Promise<string>((resolve, reject) => {
      const call = request(
        {
          host: '127.0.0.1',
          port: handle.port,
          method: 'POST',
          path: '/',
          headers: { host: `orders.localhost:${handle.port}`, 'content-type': 'text/plain' },
        },
        (answer) => {
          let text = '';
          answer.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          answer.on('end', () => resolve(text));
        },
      );
      call.on('error', reject);
      call.end('plain');
    });
    expect(JSON.parse(byHost)).toMatchObject({ data: 'plain', cloudevent: false });
  });

  it('fires a schedule as the PingSource CloudEvent', async () => {
    const fired = await get(handle, '/__sk8s/schedule/pinged/ping', { method: 'POST' });
    expect(fired.body).toMatchObject({
      type: 'dev.knative.sources.ping',
      source: '/apis/v1/namespaces/default/pingsources/ping',
      data: { hello: 'ping' },
      cloudevent: true,
    });
  });
});
