// Tests that need the built package: the bin as a child process (SIGTERM drain, CLI errors,
// results it cannot write) and the npm tarball installed into a fresh TypeScript project. Load
// belongs to the benchmarks: `pnpm bench:soak`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..', '..');
const repoRoot = join(packageDir, '..', '..');
const bin = join(packageDir, 'dist', 'cli.js');
const fixtures = join(here, 'fixtures');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

// `pnpm test` builds first (scripts/bootstrap.mjs); rebuild only when running this file alone
// after editing src/, so the bin under test is never stale.
beforeAll(() => {
  let built = 0;
  try {
    built = statSync(bin).mtimeMs;
  } catch {
    built = 0;
  }
  if (built < newestMtime(join(packageDir, 'src'))) {
    execFileSync(process.execPath, [join(packageDir, 'build.mjs')], { stdio: 'inherit' });
  }
}, 60_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Spawned {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

async function spawnRuntime(args: string[], env: Record<string, string>): Promise<Spawned> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [bin, ...args, '--port', String(port), '--host', '127.0.0.1'],
    {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`runtime exited early: ${err}`);
    const status = await fetch(`${url}/health/readiness`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return { child, url, stdout: () => out, stderr: () => err, exit };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`runtime never became ready: ${err}`);
}

function runCli(
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    }).toString();
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { status: number | null; stdout: Buffer; stderr: Buffer };
    return {
      code: failed.status,
      stdout: failed.stdout.toString(),
      stderr: failed.stderr.toString(),
    };
  }
}

/** Runs tsc on a project; returns its diagnostics ('' when it compiles). */
function runCompiler(tsc: string, project: string): string {
  try {
    execFileSync(process.execPath, [tsc, '-p', project], { stdio: ['ignore', 'pipe', 'pipe'] });
    return '';
  } catch (error) {
    return (error as { stdout: Buffer }).stdout.toString();
  }
}

describe('the serverless-k8s-runtime bin', () => {
  it('finishes in-flight requests on SIGTERM, stops accepting, runs shutdown() and exits 0', async () => {
    const runtime = await spawnRuntime([join(fixtures, 'handlers.cjs'), '--handler', 'slow'], {});
    const inFlight = Array.from({ length: 10 }, () =>
      fetch(runtime.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"ms":700}',
      }).then(
        async (res) => ({ status: res.status, body: await res.text() }),
        (error: Error) => ({ status: 0, body: error.message }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 250));
    runtime.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // A new connection: an idle kept-alive one is still answered for a grace moment.
    const refused = await new Promise<string>((resolve) => {
      const probe = connect(Number(new URL(runtime.url).port), '127.0.0.1');
      probe.once('connect', () => {
        probe.destroy();
        resolve('accepted');
      });
      probe.once('error', () => resolve('refused'));
    });
    const results = await Promise.all(inFlight);
    expect(results).toEqual(
      Array.from({ length: 10 }, () => ({ status: 200, body: '{"slept":700}' })),
    );
    expect(refused).toBe('refused');
    expect(await runtime.exit).toBe(0);
    expect(runtime.stdout()).toContain('shutdown hook ran');
  });

  it('logs a failing handler’s stack to stderr but never sends it', async () => {
    const runtime = await spawnRuntime([join(fixtures, 'handlers.cjs'), '--handler', 'fail'], {});
    const res = await fetch(runtime.url);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('{"error":"Internal Server Error"}');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runtime.stderr()).toContain('Error: fixture failure');
    expect(runtime.stderr()).toContain('handlers.cjs');
    runtime.child.kill('SIGINT');
    expect(await runtime.exit).toBe(0);
  });

  it('answers 500 for results it cannot write, keeps serving and finishes requests in flight', async () => {
    const runtime = await spawnRuntime([join(fixtures, 'bad-responses.cjs')], {});
    const slow = fetch(`${runtime.url}/slow`).then(
      async (res) => `${res.status} ${await res.text()}`,
      (error: Error) => `failed: ${error.message}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const paths = ['/crlf-sync', '/crlf-async', '/bad-name', '/bad-status', '/throwing-then'];
    const answers = await Promise.all(
      [...paths, '/throwing-status'].map((path) =>
        fetch(`${runtime.url}${path}`).then(
          async (res) => ({
            path,
            status: res.status,
            injected: res.headers.get('x-injected'),
            body: await res.text(),
          }),
          (error: Error) => ({ path, status: 0, injected: null, body: error.message }),
        ),
      ),
    );
    for (const answer of answers) {
      expect(answer).toEqual({
        path: answer.path,
        status: 500,
        injected: null,
        body: '{"error":"Internal Server Error"}',
      });
    }
    expect(await slow).toBe('200 slow done');
    expect(runtime.child.exitCode).toBeNull();
    expect((await fetch(`${runtime.url}/healthz`)).status).toBe(200);
    runtime.child.kill('SIGTERM');
    expect(await runtime.exit).toBe(0);
  });

  it('keeps serving after an unhandled rejection whose reason throws when looked at', async () => {
    const runtime = await spawnRuntime([join(fixtures, 'bad-responses.cjs')], {});
    const first = await fetch(`${runtime.url}/stray-hostile-rejection`);
    expect(await first.text()).toBe('left a rejection behind');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runtime.child.exitCode).toBeNull();
    expect((await fetch(`${runtime.url}/healthz`)).status).toBe(200);
    expect(runtime.stderr()).toContain('Unhandled rejection');
    runtime.child.kill('SIGTERM');
    expect(await runtime.exit).toBe(0);
  });

  it('logs a rejection a handler left unhandled and keeps serving', async () => {
    const runtime = await spawnRuntime([join(fixtures, 'handlers.cjs'), '--handler', 'stray'], {});
    expect(await (await fetch(runtime.url)).text()).toBe('ok');
    expect(await (await fetch(runtime.url)).text()).toBe('ok');
    expect(runtime.stderr()).toContain('Error: stray rejection');
    runtime.child.kill('SIGTERM');
    expect(await runtime.exit).toBe(0);
  });

  it.each([
    [[], {}, 1, /No function module given: pass <module-file>, or set MOD_NAME/],
    [
      [join(fixtures, 'handlers.cjs')],
      { FUNC_HANDLER: 'missing' },
      1,
      /no exported function 'missing'/,
    ],
    [
      [join(fixtures, 'handlers.cjs'), '--handler', 'hello'],
      { FUNC_TIMEOUT: 'never' },
      1,
      /FUNC_TIMEOUT must be a positive number of seconds/,
    ],
    [
      [join(fixtures, 'handlers.cjs'), '--handler', 'hello'],
      { FUNC_TIMEOUT: '2592000' },
      1,
      /FUNC_TIMEOUT must be at most 2147483 seconds \(about 24\.8 days, Node's timer limit\), got '2592000'/,
    ],
    [
      [join(fixtures, 'handlers.cjs'), '--handler', 'hello'],
      { FUNC_GRACE_PERIOD: '99999999' },
      1,
      /FUNC_GRACE_PERIOD must be at most 2147483 seconds/,
    ],
    [
      [join(fixtures, 'handlers.cjs'), '--handler', 'hello', '--timeout', '3000000'],
      {},
      1,
      /--timeout must be at most 2147483 seconds/,
    ],
    [
      [join(fixtures, 'handlers.cjs'), '--port', 'eighty'],
      {},
      2,
      /--port expects a number, got 'eighty'/,
    ],
    [[join(fixtures, 'handlers.cjs'), '--verbose'], {}, 2, /Unknown option '--verbose'/],
  ] as Array<[string[], Record<string, string>, number, RegExp]>)(
    'rejects bad input %o with a clear message and no stack',
    (args, env, code, message) => {
      const result = runCli(args, env);
      expect(result.code).toBe(code);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('exits 1 naming the error when init() fails', () => {
    const result = runCli([join(fixtures, 'init-fails.cjs'), '--port', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('database unreachable');
  });

  it('prints usage for --help', () => {
    const result = runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: serverless-k8s-runtime <module-file>');
  });
});

describe('the npm package', () => {
  it('installs from its tarball into a fresh TypeScript project where a typed handler compiles and runs', () => {
    const work = mkdtempSync(join(tmpdir(), 'sk8s-pack-'));
    try {
      const packed = JSON.parse(
        execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
          cwd: packageDir,
          stdio: ['ignore', 'pipe', 'pipe'],
        }).toString(),
      ) as Array<{ filename: string; files: Array<{ path: string }> }>;
      const files = packed[0]!.files.map((f) => f.path);
      expect(files).toContain('dist/index.js');
      expect(files).toContain('dist/index.cjs');
      expect(files).toContain('dist/index.d.ts');
      expect(files).toContain('dist/cli.js');
      expect(files.filter((f) => !f.startsWith('dist/')).sort()).toEqual([
        'README.md',
        'package.json',
      ]);

      const project = join(work, 'consumer');
      execFileSync('mkdir', ['-p', join(project, 'src')]);
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
      );
      execFileSync(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--prefer-offline',
          '--loglevel=error',
          join(work, packed[0]!.filename),
        ],
        {
          cwd: project,
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: 90_000,
        },
      );
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            target: 'ES2022',
            noEmit: true,
            skipLibCheck: true,
            typeRoots: [join(repoRoot, 'node_modules', '@types')],
            types: ['node'],
          },
          include: ['src'],
        }),
      );
      writeFileSync(
        join(project, 'src', 'handler.ts'),
        [
          "import { HttpError, response, type Handler } from '@serverless-k8s/runtime';",
          'interface Order { id: number }',
          'export const handle: Handler<Order, unknown> = async (event, context) => {',
          "  context.log.info('order', { id: event.data.id, timeout: context.timeout });",
          "  if (context.signal.aborted) throw new HttpError(408, 'late');",
          "  if (event.data.id < 0) throw new HttpError(400, 'negative id');",
          "  return response({ statusCode: 201, headers: { 'x-function': context['function-name'] }, body: { id: event.data.id } });",
          '};',
          '',
        ].join('\n'),
      );
      writeFileSync(
        join(project, 'src', 'legacy.cts'),
        [
          "import type { Handler } from '@serverless-k8s/runtime';",
          'export const legacy: Handler<string, string> = (event) => event.data.toUpperCase();',
          '',
        ].join('\n'),
      );
      const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
      expect(runCompiler(tsc, project)).toBe('');

      // A type error in a handler must be caught by the published types.
      writeFileSync(
        join(project, 'src', 'wrong.ts'),
        "import type { Handler } from '@serverless-k8s/runtime';\nexport const h: Handler<{ n: number }> = (event) => event.data.n.toUpperCase();\n",
      );
      const typeErrors = runCompiler(tsc, project);
      expect(typeErrors).toMatch(
        /wrong\.ts.*error TS2339: Property 'toUpperCase' does not exist on type 'number'/,
      );

      // Both module systems load the runtime and run a handler through invokeHandler.
      const script = (load: string) =>
        `${load}\nconst r = await rt.invokeHandler((e) => ({ got: e.data }), { body: { a: 1 } }, { env: {} });\nconsole.log(r.statusCode, r.text());`;
      writeFileSync(
        join(project, 'esm.mjs'),
        script("import * as rt from '@serverless-k8s/runtime';"),
      );
      writeFileSync(
        join(project, 'cjs.cjs'),
        `(async () => { ${script("const rt = require('@serverless-k8s/runtime');")} })();`,
      );
      expect(execFileSync(process.execPath, ['esm.mjs'], { cwd: project }).toString().trim()).toBe(
        '200 {"got":{"a":1}}',
      );
      expect(execFileSync(process.execPath, ['cjs.cjs'], { cwd: project }).toString().trim()).toBe(
        '200 {"got":{"a":1}}',
      );
      const help = execFileSync(join(project, 'node_modules', '.bin', 'serverless-k8s-runtime'), [
        '--help',
      ]).toString();
      expect(help).toContain('Usage: serverless-k8s-runtime');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
