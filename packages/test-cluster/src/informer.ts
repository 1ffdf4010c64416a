// List + watch of one collection, kept as a local cache, as client-go's informers do: a LIST gives
// the state and a resourceVersion, a WATCH from there gives the changes; an expired watch (410) or
// a dropped connection lists again. Handlers see every object that changed.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { ApiError, type KubeApi, type WatchEvent } from './kube-api.js';

export interface Named {
  metadata?: ObjectMeta;
}

export const objectKey = (object: Named): string =>
  `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

export interface InformerOptions<T extends Named> {
  api: KubeApi;
  /** Collection path, e.g. /api/v1/pods. */
  path: string;
  query?: Record<string, string>;
  /** Called for an object added or changed, and with `deleted` once it is gone. */
  onChange: (object: T, deleted: boolean) => void;
  log: (message: string) => void;
}

export class Informer<T extends Named> {
  private readonly cache = new Map<string, T>();
  private readonly abort = new AbortController();
  private synced!: Promise<void>;
  private markSynced!: () => void;

  constructor(private readonly options: InformerOptions<T>) {
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
  }

  /** Starts the list/watch loop; resolves once the first list is in the cache. */
  start(): Promise<void> {
    void this.run();
    return this.synced;
  }

  stop(): void {
    this.abort.abort();
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  private async run(): Promise<void> {
    const { api, path, query = {}, log } = this.options;
    while (!this.abort.signal.aborted) {
      try {
        const listed = await api.expect<{ metadata: { resourceVersion: string }; items: T[] }>(
          'GET',
          path,
          { query },
        );
        this.replace(listed.items);
        this.markSynced();
        let resourceVersion = listed.metadata.resourceVersion;
        // Watches end after the server's timeout; resume from the last version seen.
        while (!this.abort.signal.aborted) {
          await api.watch<T>(
            path,
            { ...query, resourceVersion, timeoutSeconds: '240' },
            (event) => {
              resourceVersion = this.apply(event) ?? resourceVersion;
            },
            this.abort.signal,
          );
        }
      } catch (err) {
        if (this.abort.signal.aborted) return;
        if (!(err instanceof ApiError && err.status === 410)) {
          log(`watch ${path}: ${(err as Error).message}; listing again in 1 s`);
        }
        await sleep(1000, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    }
  }

  /** Returns the event's resourceVersion. A 410 inside the stream ends the watch to list again. */
  private apply(event: WatchEvent<T>): string | undefined {
    if (event.type === 'ERROR') {
      const status = event.object as { code?: number; message?: string };
      throw new ApiError('WATCH', this.options.path, status.code ?? 0, status.message ?? '');
    }
    const version = event.object.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') return version;
    const key = objectKey(event.object);
    if (event.type === 'DELETED') {
      this.cache.delete(key);
      this.options.onChange(event.object, true);
    } else {
      this.cache.set(key, event.object);
      this.options.onChange(event.object, false);
    }
    return version;
  }

  private replace(items: T[]): void {
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      const before = this.cache.get(key);
      this.cache.set(key, item);
      if (before?.metadata?.resourceVersion !== item.metadata?.resourceVersion) {
        this.options.onChange(item, false);
      }
    }
    for (const [key, item] of this.cache) {
      if (seen.has(key)) continue;
      this.cache.delete(key);
      this.options.onChange(item, true);
    }
  }
}
