// One polling loop for everything that waits on the cluster: until `check` gives a value, or
// the deadline passes (then undefined); `onWait` hears how long it has been, for progress lines.
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called before each further attempt with the time waited so far. */
  onWait?: (waitedMs: number) => void;
}

export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  { timeoutMs, intervalMs = 250, onWait }: PollOptions,
): Promise<T | undefined> {
  const started = Date.now();
  for (;;) {
    const result = await check();
    if (result !== undefined) return result;
    const waited = Date.now() - started;
    if (waited >= timeoutMs) return undefined;
    onWait?.(waited);
    await sleep(Math.min(intervalMs, timeoutMs - waited));
  }
}
