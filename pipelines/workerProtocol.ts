import type { CollectorConfig } from '../lib/config/collectorConfig';
import type { TelemetrySnapshot } from '../lib/telemetry/telemetrySnapshot';
import type { SenderTuning } from './outputSender';

/** What a worker thread of `multiprocessing: true` starts with (its `workerData`). */
export interface WorkerInit {
  /** Its unit's config (see `workUnits`). */
  readonly config: CollectorConfig;
  readonly senderTuning?: SenderTuning;
  /** The runner's stop time (`RunnerDeps.stopTimeoutMs`). */
  readonly stopTimeoutMs?: number;
  /** `own`: a Devo connection of its own; `shared`: batches go to the main thread's (see `RemoteWriter`). */
  readonly workerOutput: 'own' | 'shared';
  /** Accept `fail` requests (tests only). */
  readonly testHooks: boolean;
}

/** From a worker to the main thread (`workerOutput: 'shared'`): a batch for the shared connection. */
export interface RemoteSend {
  readonly type: 'send';
  readonly id: number;
  /** The batch's bytes, transferred (not copied) to the main thread. */
  readonly data: ArrayBuffer;
  readonly lines: number;
}

/** From the main thread to a worker (`workerOutput: 'shared'`): what became of a batch. */
export type RemoteReceipt =
  | { readonly type: 'written' | 'delivered'; readonly id: number }
  | { readonly type: 'failed'; readonly id: number; readonly code: string; readonly message: string };

/** From the main thread to a worker. */
export type WorkerRequest =
  | RemoteReceipt
  /** Stop the sources, flush, persist, then answer `stopped`. */
  | { readonly type: 'stop' }
  /** Tests only: fail with an uncaught exception, or by running out of memory. */
  | { readonly type: 'fail'; readonly how: 'throw' | 'oom' };

/** From a worker to the main thread. */
export type WorkerMessage =
  /** A log line, formatted (and redacted) by the worker. */
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'telemetry'; readonly snapshot: TelemetrySnapshot }
  | RemoteSend
  /** Everything is flushed and persisted; the worker ends. */
  | { readonly type: 'stopped' };
