// The cluster's processes: started detached with a pid file and a log, stopped by pid, and only
// ever trusted when /proc says the pid still runs the expected binary (pids get reused).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ManagedProcess {
  /** What `status` and errors call it. */
  name: string;
  pidFile: string;
  logFile: string;
  /** The file name of its program or script (an argument of its command line), to recognise it by. */
  marker: string;
}

export const readPid = (file: string): number | undefined => {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
};

function argv(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

export function isRunning(proc: ManagedProcess): boolean {
  const pid = readPid(proc.pidFile);
  if (pid === undefined) return false;
  // Any argument: a process started through unshare names its program last until it execs it.
  return argv(pid).some((arg) => basename(arg) === proc.marker);
}

export function startDetached(
  proc: ManagedProcess,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): number {
  const out = openSync(proc.logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env });
  closeSync(out);
  child.unref();
  const pid = child.pid ?? 0;
  writeFileSync(proc.pidFile, `${pid}\n`);
  return pid;
}

/** SIGTERM, and SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(
  proc: ManagedProcess,
  graceMs = 5_000,
  log?: (m: string) => void,
): Promise<void> {
  const pid = readPid(proc.pidFile);
  if (pid === undefined || !isRunning(proc)) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < graceMs && isRunning(proc); waited += 100) await sleep(100);
  if (isRunning(proc)) {
    log?.(`${proc.name} (pid ${pid}) ignored SIGTERM for ${graceMs / 1000} s: SIGKILL`);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && isRunning(proc); i++) await sleep(100);
  }
}

export function logTail(file: string, lines = 10): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
