import { LRUCache } from 'lru-cache';
import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';

/** Options of {@link dedupWindow}. */
export interface DedupWindowOptions<T> {
  /** The unique key of a value (`guid`, `id`). A throwing `key` errors the stream. */
  readonly key: (value: T) => string;
  /** How long a key is remembered after it was first seen. Default 1 hour. */
  readonly ttlMs?: number;
  /** Bound on remembered keys; the least recently seen key goes first when it is reached. */
  readonly maxKeys: number;
  /** Called with each value dropped as a duplicate (for logs); a throwing callback errors the stream. */
  readonly onDuplicate?: (value: T, key: string) => void;
  /** Clock of the TTL. Default `asyncScheduler` (wall clock). */
  readonly scheduler?: SchedulerLike;
}

/** Persistable content of a window: delivered keys with their expiry (UTC epoch ms), oldest first. */
export interface DedupWindowState {
  readonly version: 1;
  readonly entries: ReadonlyArray<readonly [key: string, expiresAt: number]>;
}

/**
 * The operator returned by {@link dedupWindow}, with its counters and its state.
 */
export interface DedupWindow<T> extends MonoTypeOperatorFunction<T> {
  /** Values dropped as duplicates since creation. */
  readonly duplicates: number;
  /** Keys pushed out by `maxKeys` before their TTL ran out (a duplicate of them would pass). */
  readonly evicted: number;
  /** Keys remembered now. */
  readonly size: number;
  /**
   * Marks a key as delivered (acknowledged by the sink): only delivered keys are persisted, so
   * that a replay after a crash re-sends what was in flight. Returns the key's expiry, or
   * `undefined` when the key is no longer remembered.
   */
  confirm(key: string): number | undefined;
  /** The delivered keys and their expiry, for persistence. */
  exportState(): DedupWindowState;
  /** Adds persisted keys (as delivered); expired ones are skipped. */
  restoreState(state: DedupWindowState): void;
  /** Adds one persisted key (as delivered), unless it has expired. */
  restore(key: string, expiresAt: number): void;
}

const PENDING = 0;
const DELIVERED = 1;

/**
 * Drops every value whose key was seen within the last `ttlMs` (default 1 hour), remembering at
 * most `maxKeys` keys (LRU with TTL, from lru-cache). The returned operator also carries its
 * counters and its persistable state (see {@link DedupWindow}); one window is meant for one
 * pipeline: subscribing twice shares the keys.
 *
 * Completes and errors with the source; unsubscribing unsubscribes from the source.
 *
 * @example
 * const dedup = dedupWindow<PodFrame>({ key: (f) => f.key, maxKeys: 500_000 });
 * frames$.pipe(dedup).subscribe(send);
 * dedup.duplicates; // how many were dropped
 */
export function dedupWindow<T>(options: DedupWindowOptions<T>): DedupWindow<T> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const ttl = options.ttlMs ?? 3_600_000;
  if (!(options.maxKeys >= 1)) throw new RangeError(`dedupWindow: maxKeys must be >= 1, got ${options.maxKeys}`);
  if (!(ttl >= 1)) throw new RangeError(`dedupWindow: ttlMs must be >= 1, got ${ttl}`);
  let duplicates = 0;
  let evicted = 0;
  const cache = new LRUCache<string, number>({
    max: options.maxKeys,
    ttl,
    ttlResolution: 0,
    ttlAutopurge: false,
    // lru-cache reads a start time of 0 as "no TTL", and virtual clocks start at 0: shift by 1 ms.
    perf: { now: () => scheduler.now() + 1 },
    disposeAfter: (_value, _key, reason) => {
      if (reason === 'evict') evicted++;
    },
  });

  const operator: MonoTypeOperatorFunction<T> = (source) =>
    new Observable<T>((subscriber) =>
      source.subscribe({
        next(value) {
          let key: string;
          try {
            key = options.key(value);
            if (cache.has(key)) {
              duplicates++;
              options.onDuplicate?.(value, key);
              return;
            }
          } catch (err) {
            subscriber.error(err);
            return;
          }
          cache.set(key, PENDING);
          subscriber.next(value);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );

  const control = {
    confirm(key: string): number | undefined {
      // 0 when the key is not remembered, <= 0 when it has expired.
      const remaining = cache.getRemainingTTL(key);
      if (!(remaining > 0)) return undefined;
      cache.set(key, DELIVERED, { noUpdateTTL: true, noDisposeOnSet: true });
      return scheduler.now() + remaining;
    },
    exportState(): DedupWindowState {
      const now = scheduler.now();
      const entries: Array<readonly [string, number]> = [];
      for (const key of cache.rkeys()) {
        if (cache.peek(key) !== DELIVERED) continue;
        const remaining = cache.getRemainingTTL(key);
        if (remaining > 0) entries.push([key, now + remaining]);
      }
      return { version: 1, entries };
    },
    restore(key: string, expiresAt: number): void {
      const remaining = Math.min(expiresAt - scheduler.now(), ttl);
      if (remaining > 0) cache.set(key, DELIVERED, { ttl: remaining });
    },
    restoreState(state: DedupWindowState): void {
      for (const [key, expiresAt] of state.entries) control.restore(key, expiresAt);
    },
  };
  return Object.defineProperties(operator, {
    duplicates: { get: () => duplicates },
    evicted: { get: () => evicted },
    size: { get: () => cache.size },
    confirm: { value: control.confirm },
    exportState: { value: control.exportState },
    restoreState: { value: control.restoreState },
    restore: { value: control.restore },
  }) as DedupWindow<T>;
}
