import { start, type RuntimeHandle, type StartOptions } from '../../src/index.js';
import type { Logger, LogLevel } from '../../src/types.js';

export interface LogEntry {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown> | undefined;
}

/** A logger that keeps what the runtime logged, so tests can assert on it and stay quiet. */
export function recordingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      entries.push({ level, message, fields });
    };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface Served {
  handle: RuntimeHandle;
  url: string;
  log: ReturnType<typeof recordingLogger>;
}

const running = new Set<RuntimeHandle>();

/** Starts the runtime on an ephemeral loopback port with a clean environment. */
export async function serve(
  options: StartOptions,
  env: Record<string, string> = {},
): Promise<Served> {
  const log = recordingLogger();
  const handle = await start({ port: 0, host: '127.0.0.1', env, logger: log, ...options });
  running.add(handle);
  return { handle, url: `http://127.0.0.1:${handle.port}`, log };
}

/** Test teardown, not a drain test: drops the idle connections fetch pools, so close() need not wait out their grace moment. */
export async function closeAll(): Promise<void> {
  await Promise.all(
    [...running].map((handle) => {
      handle.server.closeIdleConnections();
      return handle.close();
    }),
  );
  running.clear();
}
