import type { CollectorConfig } from '../../lib/config/collectorConfig';
import type { TelemetrySnapshot } from '../../lib/telemetry/telemetrySnapshot';
import type { SenderTuning } from './outputSender';

/** What a worker thread of `multiprocessing: true` starts with (its `workerData`). */
export interface WorkerInit {
  /** Its unit's config (see `workUnits`). */
  readonly config: CollectorConfig;
  readonly senderTuning?: SenderTuning;
  /** The runner's stop time (`CollectorOptions.stopTimeoutMs`). */
  readonly stopTimeoutMs?: number;
  /** Accept `fail` requests (tests only). */
  readonly testHooks: boolean;
}

/** From the main thread to a worker. */
export type WorkerRequest =
  /** Stop the sources, flush, persist, send a last telemetry snapshot, then end (the supervisor waits for the thread's exit). */
  | { readonly type: 'stop' }
  /** Tests only: fail with an uncaught exception, or by running out of memory. */
  | { readonly type: 'fail'; readonly how: 'throw' | 'oom' };

/** From a worker to the main thread. */
export type WorkerMessage =
  /** A log line, formatted (and redacted) by the worker. */
  { readonly type: 'log'; readonly line: string } | { readonly type: 'telemetry'; readonly snapshot: TelemetrySnapshot };
