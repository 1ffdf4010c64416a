// Logs of every pod of a function through the pods/log API (serverless-kubeless read the first pod
// only). Lines carry a `[pod] ` prefix when more than one pod speaks; with follow, pods that appear
// later (scale-out, rollout) are picked up by polling the pod list.
import type { Readable } from 'node:stream';
import { UserError } from '../util/errors.js';
import type { ClusterClient } from './types.js';

export interface StreamLogsOptions {
  namespace: string;
  /** Label selector of the function's pods. */
  selector: string;
  container?: string;
  follow: boolean;
  sinceSeconds?: number;
  sinceTime?: string;
  tailLines?: number;
  /** Only lines matching this are written. */
  filter?: RegExp;
  write(line: string): void;
  /** A pod whose logs cannot be read (e.g. its container has not started yet). */
  warn?(message: string): void;
  /** Ends a follow; without follow the call ends when every stream has ended. */
  signal?: AbortSignal;
  /** How often follow looks for new pods. */
  pollIntervalMs?: number;
}

export interface StreamLogsResult {
  /** Pods whose logs were read. */
  pods: string[];
  /** Lines written (after the filter). */
  lines: number;
}

/** Splits a byte stream into lines; the last partial line is flushed at the end. */
export async function forEachLine(stream: Readable, onLine: (line: string) => void): Promise<void> {
  let pending = '';
  for await (const chunk of stream) {
    pending += (chunk as Buffer).toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) onLine(part.endsWith('\r') ? part.slice(0, -1) : part);
  }
  if (pending.length > 0) onLine(pending);
}

export async function streamLogs(
  client: ClusterClient,
  options: StreamLogsOptions,
): Promise<StreamLogsResult> {
  const seen = new Set<string>();
  const streams = new Map<string, Readable>();
  const running: Promise<void>[] = [];
  const failures: UserError[] = [];
  let prefixed = false;
  let lines = 0;

  const listPods = async (): Promise<string[]> =>
    (await client.list('v1', 'Pod', options.namespace, options.selector))
      .map((pod) => pod.metadata.name)
      .sort();

  const follow = (pod: string): void => {
    seen.add(pod);
    const reading = (async () => {
      try {
        const stream = await client.podLogs(options.namespace, pod, {
          container: options.container,
          follow: options.follow,
          sinceSeconds: options.sinceSeconds,
          sinceTime: options.sinceTime,
          tailLines: options.tailLines,
        });
        if (options.signal?.aborted) return void stream.destroy();
        streams.set(pod, stream);
        await forEachLine(stream, (line) => {
          if (options.filter) options.filter.lastIndex = 0; // a /g regexp keeps state between tests
          if (options.filter && !options.filter.test(line)) return;
          lines += 1;
          options.write(prefixed ? `[${pod}] ${line}` : line);
        });
      } catch (error) {
        if (options.signal?.aborted) return; // destroyed on purpose
        const failure =
          error instanceof UserError
            ? error
            : new UserError(`Reading the logs of pod ${pod} failed: ${String(error)}`);
        failures.push(failure);
        // Without follow the outcome is known at the end: warned there, or thrown, not both.
        if (options.follow) options.warn?.(failure.message);
      } finally {
        streams.delete(pod);
      }
    })();
    running.push(reading);
  };

  const initial = await listPods();
  prefixed = initial.length > 1;
  initial.forEach(follow);

  if (options.follow) {
    const interval = options.pollIntervalMs ?? 2_000;
    const aborted = new Promise<void>((resolve) => {
      if (options.signal?.aborted) resolve();
      options.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    // Until aborted: look for new pods now and then (the signal is the only way out of a follow).
    while (!options.signal?.aborted) {
      await Promise.race([aborted, new Promise((resolve) => setTimeout(resolve, interval))]);
      if (options.signal?.aborted) break;
      const current = await listPods().catch((error: unknown) => {
        options.warn?.(error instanceof Error ? error.message : String(error));
        return [] as string[];
      });
      const fresh = current.filter((pod) => !seen.has(pod));
      if (fresh.length > 0 && seen.size + fresh.length > 1) prefixed = true;
      fresh.forEach(follow);
    }
    for (const stream of streams.values()) stream.destroy();
  }
  await Promise.all(running);
  // Without follow, nothing readable at all is an error; a partial answer has been warned about.
  if (!options.follow && failures.length > 0 && failures.length === seen.size) throw failures[0];
  if (!options.follow) for (const failure of failures) options.warn?.(failure.message);
  return { pods: [...seen], lines };
}

const DURATION = /^(\d+)\s*(s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `--startTime 30m | 2h | 1d | 45s | <ISO date>` → the pods/log API's sinceSeconds or sinceTime. */
export function parseSince(
  value: string,
  now: Date = new Date(),
): { sinceSeconds: number } | { sinceTime: string } {
  const trimmed = value.trim();
  const duration = DURATION.exec(trimmed);
  if (duration)
    return { sinceSeconds: Number(duration[1]) * (UNIT_SECONDS[duration[2] as string] as number) };
  const date = new Date(trimmed);
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed) && !Number.isNaN(date.getTime())) {
    if (date.getTime() > now.getTime())
      throw new UserError(`--startTime ${value} is in the future.`);
    return { sinceTime: date.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  }
  throw new UserError(
    `--startTime "${value}" is neither a duration (30s, 30m, 2h, 1d) nor an ISO date (2024-05-01T10:00:00Z).`,
  );
}
