import type { ResourceLimits } from 'node:worker_threads';
import type { CollectorConfig } from '../../lib/config/collectorConfig';

const MIB = 1024 * 1024;

/** What a worker's heap holds besides its windows and frames: code, buffers, batches, state. */
export const WORKER_HEAP_BASE_MB = 96;
/** Heap a PoD worker allows per MiB of `max_event_size_in_mb`: a frame's parse, copies and batch, with room. */
export const WORKER_HEAP_PER_EVENT_MB = 8;
/** Heap a CASB worker allows for its pages (a body, its records and their lines). */
export const WORKER_HEAP_CASB_PAGES_MB = 512;

/**
 * Heap a worker allows per MiB of `dedup_max_size_in_mb`: a window that has turned over costs 1.2
 * times its size (lru-cache's key map has doubled its table), its rebuild or its journal's
 * compaction about 0.2 more until the next full collection (BENCHMARKS.md, "The 10-minute soak").
 */
export const WORKER_HEAP_PER_WINDOW_MB = 1.4;

/** The young generation of a worker's heap (MiB). */
export const WORKER_YOUNG_GENERATION_MB = 16;

/**
 * The heap limit of the worker thread that runs `unit` (a config holding one work unit's
 * services; see `workUnits`) when the caller gives none: the old generation may hold
 * {@link WORKER_HEAP_BASE_MB}, plus {@link WORKER_HEAP_PER_WINDOW_MB} × each service's de-dup window
 * (`dedup_max_size_in_mb`), plus {@link WORKER_HEAP_PER_EVENT_MB} × `max_event_size_in_mb` for a PoD
 * service (711 MiB with the defaults) or {@link WORKER_HEAP_CASB_PAGES_MB} for a CASB input. A worker that exhausts it fails
 * and is restarted by the supervisor, instead of aborting the whole process.
 *
 * @example
 * new Worker(file, { resourceLimits: workerHeapLimit(unit.config) });
 */
export function workerHeapLimit(unit: CollectorConfig): ResourceLimits {
  let mb = WORKER_HEAP_BASE_MB;
  for (const s of unit.pod?.enabled === true ? unit.pod.services : [])
    mb += WORKER_HEAP_PER_WINDOW_MB * (s.dedupMaxBytes / MIB) + WORKER_HEAP_PER_EVENT_MB * (s.maxEventBytes / MIB);
  const casb = unit.casb?.enabled === true ? unit.casb.services : [];
  for (const s of casb) mb += WORKER_HEAP_PER_WINDOW_MB * (s.dedupMaxBytes / MIB);
  if (casb.length > 0) mb += WORKER_HEAP_CASB_PAGES_MB;
  // A bounded young generation too: with Node 24's larger default, one scavenge could promote past
  // the old generation's limit at once, a fatal error of the whole process instead of the worker's exit.
  return { maxOldGenerationSizeMb: Math.ceil(mb), maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB };
}
