import type { CollectorError } from '../../lib/errors/collectorError';
import type { Collector, CollectorOptions } from './collectorOptions';

/**
 * What the runtime passes between its parts besides the public {@link CollectorOptions}: the
 * thread's role and the test hooks. Not part of the package's API (`lib/index.ts` does not export it).
 */
export interface RunnerInternals extends CollectorOptions {
  /**
   * `worker`: the runner of a `multiprocessing: true` worker thread, which leaves the state lock,
   * the startup warnings and the seeds' sender and memory traces to the main thread. Default `main`.
   */
  readonly role?: 'main' | 'worker';
  /** `multiprocessing: true`: accept `failWorker` (tests only). */
  readonly workerTestHooks?: boolean;
  /** The output can deliver nothing more (`CONSOLE_OUTPUT_CLOSED`): the collector stops, and `done` rejects with it. */
  readonly onOutputFatal?: (error: CollectorError) => void;
}

/** A collector as the runtime (and its specs) sees it. */
export interface RuntimeCollector extends Collector {
  /** `multiprocessing: true` with `workerTestHooks`: makes a unit's worker fail, as workers fail in the field. */
  failWorker?(unit: string, how: 'throw' | 'oom'): void;
}
