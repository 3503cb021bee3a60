import { LRUCache } from 'lru-cache';
import { DEDUP_ENTRY_BYTES } from '../lib/operators/dedupWindow';

/**
 * The de-dup window's store alone (a child process of the bench, run with `--expose-gc`):
 * lru-cache with the options the collector gives it for a journal of `keys` keys (the default
 * 256 MiB bound; sized at once, as `dedupWindow` does for a big journal), holding `keys` flat
 * 36-character keys with an hour to live, as a restored journal holds them. Reports on IPC the
 * RSS it added to the bare process (MiB) after an idle wait as long as the collector's, and after
 * a forced full collection, so that the collector's overhead around the window can be told apart
 * from the window itself.
 */
function run(keys: number): void {
  const rss = () => process.memoryUsage().rss / 1048576;
  const bare = rss();
  const maxBytes = 256 * 1024 * 1024;
  const capacity = Math.floor(maxBytes / (DEDUP_ENTRY_BYTES + 1));
  const cache = new LRUCache<string, number>({
    ...(keys >= capacity / 4 ? { max: capacity } : {}),
    maxSize: maxBytes,
    ttl: 3_600_000,
    ttlResolution: 0,
    ttlAutopurge: false,
    perf: { now: () => Date.now() + 1 },
  });
  const expires = Date.now() + 3_600_000;
  for (let i = 0; i < keys; i++) {
    // Flat, as JSON.parse leaves a journal's keys (a template literal would make a cons string).
    const key = JSON.parse(`"preloaded-${i.toString(36).padStart(26, '0')}"`) as string;
    cache.set(key, 0, { ttl: expires - Date.now(), size: DEDUP_ENTRY_BYTES + key.length });
  }
  // As long as the collector's idle wait: the same chance for the garbage of the growth to go.
  setTimeout(() => {
    const addedMiB = rss() - bare;
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ keys: cache.size, addedMiB, liveMiB: rss() - bare });
  }, 10_000);
}

run(Number(process.argv[2] ?? '1000000'));
