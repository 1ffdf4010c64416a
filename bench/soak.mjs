#!/usr/bin/env node
// Soak benchmark of the runtime's bin (a real process, as in production):
//   1. load: 20 000 requests at 50 keep-alive connections (autocannon, two halves of 10 000):
//      zero errors, and the second half may not grow the process by more than 20 MiB;
//   2. drain: 50 keep-alive clients send requests back to back (reconnecting after a
//      `Connection: close`), half to an instant handler and half to one that takes 5 ms, while
//      the process gets SIGTERM: every request a client put on the wire must get a complete
//      response (no reset, no empty reply) and the process exits 0.
// Prints the figures and exits 1 when a target is missed.
//
// Env: SOAK_REQUESTS (default 20000), SOAK_CONNECTIONS (default 50), SOAK_DRAIN_AFTER_MS load
// before the SIGTERM (default 2000).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { keepAliveClient } from './lib/keep-alive-client.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages/runtime-node/dist/cli.js');
const requests = Number(process.env.SOAK_REQUESTS ?? 20_000);
const connections = Number(process.env.SOAK_CONNECTIONS ?? 50);
const drainAfterMs = Number(process.env.SOAK_DRAIN_AFTER_MS ?? 2000);
const BODY = JSON.stringify({ hello: 'world', n: 42 });
const RSS_GROWTH_LIMIT_MB = 20;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function rssMb(pid) {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match[1]) / 1024;
}

/** Starts the bin serving `handlerFile` and resolves once it reports ready. */
async function launch(handlerFile) {
  const port = await freePort();
  const child = spawn(process.execPath, [cli, handlerFile], {
    env: {
      ...process.env,
      FUNC_HANDLER: 'echo',
      FUNC_PORT: String(port),
      FUNC_HOST: '127.0.0.1',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  for (let attempt = 0; attempt < 500; attempt++) {
    if (child.exitCode !== null) throw new Error(`runtime exited early (${child.exitCode})`);
    const ready = await fetch(`http://127.0.0.1:${port}/health/readiness`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ready) return { child, port, exited, stdout: () => stdout };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.kill('SIGKILL');
  throw new Error('runtime never became ready');
}

async function loadPhase() {
  const runtime = await launch(join(root, 'bench/lib/echo-handler.cjs'));
  const half = () =>
    autocannon({
      url: `http://127.0.0.1:${runtime.port}/`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
      connections,
      amount: Math.ceil(requests / 2),
    });
  const started = performance.now();
  const first = await half();
  const rssAfterFirst = rssMb(runtime.child.pid);
  const second = await half();
  const rssAfterSecond = rssMb(runtime.child.pid);
  const seconds = (performance.now() - started) / 1000;
  runtime.child.kill('SIGTERM');
  const exitCode = await runtime.exited;
  const sum = (field) => first[field] + second[field];
  const answered = first.requests.total + second.requests.total;
  return {
    sent: first.requests.sent + second.requests.sent,
    answered,
    ok: sum('2xx'),
    // autocannon counts a reset or any other socket error in `errors`.
    connectionErrors: sum('errors'),
    timeouts: sum('timeouts'),
    non2xx: sum('non2xx'),
    rps: answered / seconds,
    rssGrowthMb: rssAfterSecond - rssAfterFirst,
    exitCode,
  };
}

async function drainPhase() {
  const runtime = await launch(join(root, 'bench/lib/drain-echo-handler.cjs'));
  const requestTo = (path) =>
    Buffer.from(
      `POST ${path} HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`,
    );
  const requests = [requestTo('/'), requestTo('/slow')];
  // A hard stop in case the runtime never exits; normally clients end on a refused reconnect.
  let giveUp = false;
  const deadline = setTimeout(() => (giveUp = true), drainAfterMs + 60_000);
  // Half the clients on the fast path, half on the slow one.
  const clients = Array.from({ length: connections }, (_, index) =>
    keepAliveClient({ port: runtime.port, request: requests[index % 2], stopped: () => giveUp }),
  );
  await new Promise((resolve) => setTimeout(resolve, drainAfterMs));
  const signalled = performance.now();
  runtime.child.kill('SIGTERM');
  const exitCode = await runtime.exited;
  const exitMs = performance.now() - signalled;
  const results = await Promise.all(clients);
  clearTimeout(deadline);
  const total = (field) => results.reduce((sum, counts) => sum + counts[field], 0);
  const drained = runtime
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .find((entry) => entry.msg === 'Drained');
  return {
    sent: total('sent'),
    answered: total('answered'),
    errors: total('non2xx'),
    resets: total('resets'),
    emptyReplies: total('emptyReplies'),
    connections: total('connections'),
    inFlightAtSigterm: drained?.inFlight,
    drainMs: drained?.durationMs,
    exitMs,
    exitCode,
  };
}

console.error(`load: ${requests} requests at ${connections} connections…`);
const load = await loadPhase();
console.error(`drain: ${connections} keep-alive clients, SIGTERM after ${drainAfterMs} ms…`);
const drain = await drainPhase();

console.log('\nLoad');
console.table({
  'requests sent': load.sent,
  answered: load.answered,
  '2xx': load.ok,
  'connection errors (resets included)': load.connectionErrors,
  timeouts: load.timeouts,
  'non-2xx': load.non2xx,
  'req/s': Math.round(load.rps),
  'RSS growth, 2nd half (MB)': Number(load.rssGrowthMb.toFixed(1)),
  'exit code': load.exitCode,
});
console.log('Drain (SIGTERM under keep-alive load)');
console.table({
  'requests sent': drain.sent,
  answered: drain.answered,
  'lost (sent - answered)': drain.sent - drain.answered,
  'errors (non-2xx)': drain.errors,
  resets: drain.resets,
  'empty replies': drain.emptyReplies,
  connections: drain.connections,
  'in flight at SIGTERM': drain.inFlightAtSigterm,
  'drain time (ms, runtime log)': drain.drainMs,
  'SIGTERM to exit (ms)': Math.round(drain.exitMs),
  'exit code': drain.exitCode,
});

const verdicts = [
  [`load: ${requests} answered with 2xx`, load.ok === requests && load.sent === requests],
  [
    'load: 0 errors (connection, timeout, non-2xx)',
    load.connectionErrors + load.timeouts + load.non2xx === 0,
  ],
  [`load: RSS growth ≤ ${RSS_GROWTH_LIMIT_MB} MB`, load.rssGrowthMb <= RSS_GROWTH_LIMIT_MB],
  ['drain: 0 lost requests', drain.sent > 0 && drain.sent === drain.answered],
  [
    'drain: 0 errors, resets or empty replies',
    drain.errors + drain.resets + drain.emptyReplies === 0,
  ],
  [
    'drain: the process exits 0 and logs the drain',
    drain.exitCode === 0 && drain.drainMs !== undefined,
  ],
];
for (const [name, ok] of verdicts) console.log(`${ok ? 'PASS' : 'MISS'} ${name}`);
process.exit(verdicts.every(([, ok]) => ok) ? 0 : 1);
