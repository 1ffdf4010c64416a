#!/usr/bin/env node
// The README's main job at this stage: run examples/hello's TypeScript handler through the
// runtime's bin exactly as a container would, call it over HTTP with a JSON body, print the
// reply, then stop the runtime with SIGTERM (it drains and exits 0).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runtimeDir = join(root, 'packages', 'runtime-node');
const bin = join(runtimeDir, 'dist', 'cli.js');
const handlerSource = join(root, 'examples', 'hello', 'src', 'handler.ts');
// esbuild is the runtime package's build dependency; resolve it from there.
const { build } = createRequire(join(runtimeDir, 'package.json'))('esbuild');

const workDir = mkdtempSync(join(tmpdir(), 'sk8s-demo-'));
let child;
try {
  const bundle = join(workDir, 'handler.cjs');
  await build({
    entryPoints: [handlerSource],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: bundle,
    logLevel: 'warning',
  });

  // Port 0: the runtime picks a free port and names it in its "Listening on" log line, which it
  // prints once init() is done, i.e. when it is ready.
  console.log(`$ serverless-k8s-runtime ${bundle} --handler hello --port 0 --host 127.0.0.1`);
  child = spawn(
    process.execPath,
    [bin, bundle, '--handler', 'hello', '--port', '0', '--host', '127.0.0.1'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = await new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error('the runtime did not start listening within 10 s')),
      10_000,
    );
    child.once('exit', (code) => reject(new Error(`the runtime exited early with code ${code}`)));
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      buffered += chunk;
      const match = /"msg":"Listening on [^"]*","port":(\d+)/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  const base = `http://127.0.0.1:${port}`;

  const body = { name: 'serverless-k8s' };
  console.log(`$ POST ${base}/hello ${JSON.stringify(body)}`);
  const reply = await fetch(`${base}/hello`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await reply.text();
  console.log(`HTTP ${reply.status} ${reply.headers.get('content-type')}`);
  console.log(text);
  if (reply.status !== 200) throw new Error(`expected 200, got ${reply.status}`);

  child.kill('SIGTERM');
  const { code, signal } = await exited;
  if (code !== 0)
    throw new Error(`the runtime exited with ${code ?? signal} after SIGTERM, expected 0`);
  console.log('runtime drained and exited 0');
} catch (error) {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  console.error(`demo failed: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
