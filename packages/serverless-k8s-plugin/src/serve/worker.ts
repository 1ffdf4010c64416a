// One function of `serve`, running in its own process through the runtime's bin — the same
// entry point, environment variables and request pipeline as its container in the cluster, and
// its own process.env, as each function has in its own pod.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';

export interface WorkerSpec {
  functionKey: string;
  /** The runtime's bin (dist/cli.js of @serverless-k8s/runtime). */
  runtimeCli: string;
  /** The bundled module to load. */
  moduleFile: string;
  /** Export name (FUNC_HANDLER). */
  handler: string;
  /** Environment: the function's variables and the runtime's FUNC_* settings. */
  env: Record<string, string>;
  timeoutSeconds: number;
  /** Output of the function process, line by line. */
  onOutput: (line: string, stream: 'stdout' | 'stderr') => void;
  /** How long to wait for readiness (init() included). */
  startTimeoutMs?: number;
  /** The process ended after it was ready, without stop(): why, with its last output lines. */
  onCrash?: (description: string) => void;
}

const LOOPBACK = '127.0.0.1';
const TAIL_LINES = 20;

/** A free TCP port on loopback (the kernel picks it; released just before the function binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

function readinessStatus(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(
      { host: LOOPBACK, port, path: '/health/readiness', timeout: 1000 },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export class WorkerStartError extends Error {
  constructor(functionKey: string, reason: string, output: string[]) {
    const tail = output.length > 0 ? `\n${output.join('\n')}` : '';
    super(`function ${functionKey} did not start: ${reason}${tail}`);
    this.name = 'WorkerStartError';
  }
}

function describeExit(child: ChildProcess): string {
  return child.signalCode
    ? `was killed by ${child.signalCode}`
    : `exited with code ${child.exitCode}`;
}

export class FunctionWorker {
  private exited = false;
  private ready = false;
  private stopping = false;
  private readonly exit: Promise<void>;

  private constructor(
    readonly functionKey: string,
    readonly port: number,
    private readonly child: ChildProcess,
    tail: string[],
    onCrash: WorkerSpec['onCrash'],
  ) {
    this.exit = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    void this.exit.then(() => {
      this.exited = true;
      if (this.ready && !this.stopping) {
        onCrash?.(`function ${functionKey} ${describeExit(child)}\n${tail.join('\n')}`.trimEnd());
      }
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Starts the process and resolves once its readiness endpoint answers 200. */
  static async start(spec: WorkerSpec): Promise<FunctionWorker> {
    const port = await freePort();
    const tail: string[] = [];
    const child = spawn(
      process.execPath,
      [
        '--enable-source-maps',
        spec.runtimeCli,
        spec.moduleFile,
        '--handler',
        spec.handler,
        '--port',
        String(port),
        '--timeout',
        String(spec.timeoutSeconds),
        '--host',
        LOOPBACK,
      ],
      {
        env: { ...process.env, ...spec.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    for (const stream of ['stdout', 'stderr'] as const) {
      let pending = '';
      child[stream]?.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          tail.push(line);
          if (tail.length > TAIL_LINES) tail.shift();
          spec.onOutput(line, stream);
        }
      });
    }
    const worker = new FunctionWorker(spec.functionKey, port, child, tail, spec.onCrash);
    const deadline = Date.now() + (spec.startTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (!worker.alive) {
        throw new WorkerStartError(spec.functionKey, describeExit(child), tail);
      }
      if ((await readinessStatus(port)) === 200) {
        worker.ready = true;
        return worker;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await worker.stop();
    throw new WorkerStartError(spec.functionKey, 'not ready in time', tail);
  }

  /** SIGTERM (the runtime drains in-flight requests and runs shutdown()), SIGKILL after a grace period. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    this.stopping = true;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(killer);
  }
}
