import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';

/** Options of {@link dedupWindow}. */
export interface DedupWindowOptions<T> {
  /** The unique key of a value (`guid`, `id`). A throwing `key` errors the stream. */
  readonly key: (value: T) => string;
  /** How long a key is remembered after it was first seen. Default 1 hour. */
  readonly ttlMs?: number;
  /**
   * Bound on the memory the remembered keys take, estimated at {@link DEDUP_ENTRY_BYTES} per key
   * plus its length; the least recently seen key goes first when it is reached. Default 256 MiB
   * (about 1.2 million 36-character keys: an hour of 340 events/s).
   */
  readonly maxBytes?: number;
  /** Bound on remembered keys, besides `maxBytes`. Default: none. */
  readonly maxKeys?: number;
  /**
   * Keys about to be restored (e.g. the journal's line count). When they are many (at least a
   * quarter of what `maxBytes` can hold), the store is sized for `maxBytes` at once: grown step by
   * step instead, its arrays leave their old copies as garbage (~90 MiB at a million keys).
   */
  readonly expectedKeys?: number;
  /** Called with each value dropped as a duplicate (for logs); a throwing callback errors the stream. */
  readonly onDuplicate?: (value: T, key: string) => void;
  /**
   * Called each time a bound makes the window forget a key younger than `ttlMs` (a duplicate of it
   * would pass), with the key's age: the window is too small for the stream's rate.
   */
  readonly onEarlyForget?: (ageMs: number) => void;
  /** Clock of the TTL. Default `asyncScheduler` (wall clock). */
  readonly scheduler?: SchedulerLike;
}

/** One delivered key as persisted: its stored form (see {@link dedupStoredKey}) and its expiry (UTC epoch ms). */
export type DedupEntry = readonly [key: string, expiresAt: number];

/** Persistable content of a window: delivered keys with their expiry, oldest first. */
export interface DedupWindowState {
  readonly version: 1;
  readonly entries: readonly DedupEntry[];
}

/**
 * The delivered keys of a window and their expiry (UTC epoch ms), oldest first, as two parallel
 * arrays: 16 bytes a key besides the keys themselves (which the window holds anyway), where
 * {@link DedupWindowState}'s entries take ~80 (an array and a number each). What a journal's
 * compaction writes out.
 */
export interface DedupSnapshot {
  readonly keys: readonly string[];
  readonly expiresAt: Float64Array;
}

/** Estimated bytes a remembered key costs besides its characters (lru-cache's entry, the map's slot); measured on Node 20. */
export const DEDUP_ENTRY_BYTES = 180;

/** Keys longer than this are remembered as a digest. */
const MAX_STORED_KEY_LENGTH = 64;

/**
 * How a key is remembered and persisted: as it is up to 64 characters, else as `sha256:` and its
 * SHA-256 in base64url (50 characters), so that a hostile or broken source cannot make the window
 * hold megabytes per key. Idempotent.
 */
export function dedupStoredKey(key: string): string {
  return key.length <= MAX_STORED_KEY_LENGTH ? key : `sha256:${createHash('sha256').update(key).digest('base64url')}`;
}

/**
 * The operator returned by {@link dedupWindow}, with its state (counts come through `onDuplicate` and `onEarlyForget`).
 */
export interface DedupWindow<T> extends MonoTypeOperatorFunction<T> {
  /** Keys remembered now. */
  readonly size: number;
  /** Estimated bytes the remembered keys take (what `maxBytes` bounds). */
  readonly bytes: number;
  /**
   * Marks a key as delivered (acknowledged by the sink): only delivered keys are persisted, so
   * that a replay after a crash re-sends what was in flight. Returns the entry to persist, or
   * `undefined` when the key is no longer remembered or was confirmed already (a record
   * acknowledged once per line), so that each key is persisted once.
   */
  confirm(key: string): DedupEntry | undefined;
  /**
   * What the operator does with each value, for a stage that handles values in arrays: true
   * when its key was not seen within the window (it is remembered from now on, pending until
   * {@link confirm}), false for a duplicate (after `onDuplicate`). Throws what `key` throws.
   */
  admit(value: T): boolean;
  /**
   * Forgets a key the window passed but whose value was not delivered (dead-lettered further
   * down), so that a corrected re-send of it passes.
   */
  forget(key: string): void;
  /** The delivered keys and their expiry, for persistence. */
  exportState(): DedupWindowState;
  /** The same keys as {@link exportState}, compactly (see {@link DedupSnapshot}). */
  snapshot(): DedupSnapshot;
  /** Adds persisted keys (as delivered); expired ones are skipped. */
  restoreState(state: DedupWindowState): void;
  /** Adds one persisted key (as delivered), unless it has expired. */
  restore(key: string, expiresAt: number): void;
}

/*
 * A remembered key's value: small integers, which V8 stores in the slot itself (an expiry as the
 * value would be a heap number per key: +16 MiB at a million keys, measured).
 */
const PENDING = 0;
const DELIVERED = 1;

/**
 * Drops every value whose key was seen within the last `ttlMs` (default 1 hour), remembering keys
 * up to `maxBytes` of memory (and `maxKeys`, if given): LRU with TTL, from lru-cache. Long keys
 * are remembered as digests (see {@link dedupStoredKey}). The returned operator also carries its
 * counters and its persistable state (see {@link DedupWindow}); one window is meant for one
 * pipeline: subscribing twice shares the keys.
 *
 * Completes and errors with the source; unsubscribing unsubscribes from the source.
 *
 * @example
 * const dedup = dedupWindow<PodFrame>({ key: (f) => f.key, maxBytes: 256 * 1024 * 1024 });
 * frames$.pipe(dedup).subscribe(send);
 * dedup.size; // keys remembered now
 */
export function dedupWindow<T>(options: DedupWindowOptions<T>): DedupWindow<T> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const ttl = options.ttlMs ?? 3_600_000;
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  if (options.maxKeys !== undefined && !(options.maxKeys >= 1)) throw new RangeError(`dedupWindow: maxKeys must be >= 1, got ${options.maxKeys}`);
  if (!(maxBytes >= DEDUP_ENTRY_BYTES + MAX_STORED_KEY_LENGTH))
    throw new RangeError(`dedupWindow: maxBytes must be >= ${DEDUP_ENTRY_BYTES + MAX_STORED_KEY_LENGTH}, got ${maxBytes}`);
  if (!(ttl >= 1)) throw new RangeError(`dedupWindow: ttlMs must be >= 1, got ${ttl}`);
  // The most keys maxBytes admits (each costs more than DEDUP_ENTRY_BYTES): as a `max`, it never
  // binds before maxBytes does, and lets lru-cache allocate its arrays once.
  const capacity = Math.floor(maxBytes / (DEDUP_ENTRY_BYTES + 1));
  const max = options.maxKeys ?? ((options.expectedKeys ?? 0) >= capacity / 4 ? capacity : undefined);
  const cache: LRUCache<string, number> = new LRUCache<string, number>({
    ...(max === undefined ? {} : { max }),
    maxSize: maxBytes,
    ttl,
    ttlResolution: 0,
    ttlAutopurge: false,
    // lru-cache reads a start time of 0 as "no TTL", and virtual clocks start at 0: shift by 1 ms.
    perf: { now: () => scheduler.now() + 1 },
    // Called before the key leaves the cache, so that its remaining TTL can still be read.
    dispose: (_value, key, reason) => {
      if (reason !== 'evict') return;
      const remaining = cache.getRemainingTTL(key);
      if (!(remaining > 0)) return;
      options.onEarlyForget?.(ttl - remaining);
    },
  });

  // Reused for every set (lru-cache reads them at once): no options object per event.
  const arrival: { size: number; start: number } = { size: 0, start: 0 };
  const confirmation = { noUpdateTTL: true, noDisposeOnSet: true, size: 0 };
  const admit = (value: T): boolean => {
    const key = dedupStoredKey(options.key(value));
    // peek, not has: one lookup, no recency or status bookkeeping (a stale key reads as absent either way).
    if (cache.peek(key) !== undefined) {
      options.onDuplicate?.(value, key);
      return false;
    }
    // The entry's start given, so that lru-cache does not read its clock (ours plus 1 ms, see perf).
    const now = scheduler.now();
    arrival.size = DEDUP_ENTRY_BYTES + key.length;
    arrival.start = now + 1;
    cache.set(key, PENDING, arrival);
    return true;
  };
  const operator: MonoTypeOperatorFunction<T> = (source) =>
    new Observable<T>((subscriber) =>
      source.subscribe({
        next(value) {
          let passes: boolean;
          try {
            passes = admit(value);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (passes) subscriber.next(value);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );

  const control = {
    confirm(key: string): DedupEntry | undefined {
      const stored = dedupStoredKey(key);
      // undefined when the key is not remembered or has expired; positive once confirmed.
      // Once per key: a key confirmed already (or forgotten, or expired) answers undefined.
      if (cache.peek(stored) !== PENDING) return undefined;
      const remaining = cache.getRemainingTTL(stored);
      if (!(remaining > 0)) return undefined;
      confirmation.size = DEDUP_ENTRY_BYTES + stored.length;
      cache.set(stored, DELIVERED, confirmation);
      return [stored, scheduler.now() + remaining];
    },
    forget(key: string): void {
      const stored = dedupStoredKey(key);
      if (cache.peek(stored) === PENDING) cache.delete(stored);
    },
    exportState(): DedupWindowState {
      const { keys, expiresAt } = control.snapshot();
      return { version: 1, entries: keys.map((key, i) => [key, expiresAt[i]!] as const) };
    },
    snapshot(): DedupSnapshot {
      const now = scheduler.now();
      const keys: string[] = [];
      const expiresAt = new Float64Array(cache.size);
      for (const key of cache.rkeys()) {
        if (cache.peek(key) !== DELIVERED) continue;
        const remaining = cache.getRemainingTTL(key);
        if (remaining > 0) expiresAt[keys.push(key) - 1] = now + remaining;
      }
      return { keys, expiresAt: expiresAt.subarray(0, keys.length) };
    },
    restore(key: string, expiresAt: number): void {
      const remaining = Math.min(expiresAt - scheduler.now(), ttl);
      const stored = dedupStoredKey(key);
      if (remaining > 0) cache.set(stored, DELIVERED, { ttl: remaining, size: DEDUP_ENTRY_BYTES + stored.length });
    },
    restoreState(state: DedupWindowState): void {
      for (const [key, expiresAt] of state.entries) control.restore(key, expiresAt);
    },
  };
  return Object.defineProperties(operator, {
    size: { get: () => cache.size },
    bytes: { get: () => cache.calculatedSize },
    confirm: { value: control.confirm },
    admit: { value: admit },
    forget: { value: control.forget },
    exportState: { value: control.exportState },
    snapshot: { value: control.snapshot },
    restoreState: { value: control.restoreState },
    restore: { value: control.restore },
  }) as DedupWindow<T>;
}
