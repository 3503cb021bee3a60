import type { ResourceLimits } from 'node:worker_threads';
import type { CollectorConfig } from '../../lib/config/collectorConfig';
import type { Logger } from '../../lib/log/logger';
import type { ConsoleStream } from '../../lib/sinks/consoleWriter';
import type { DevoWriter } from '../../lib/sinks/devoWriter';
import type { CollectorTelemetry } from '../../lib/telemetry/collectorTelemetry';
import type { SenderTuning } from './outputSender';
import type { Service } from './service';

/**
 * Builds the services of a config that share one sender; each registers its telemetry with
 * `telemetry` (so that `/metrics`, `/ready` and `/status` see it).
 */
export type ServiceFactory = (config: CollectorConfig, sender: DevoWriter, logger: Logger, telemetry: CollectorTelemetry) => Service[];

/** How long a stop waits for the pipelines to flush what they hold, by default (ms). */
export const STOP_TIMEOUT_MS = 8_000;

/** What the last step of a stop gives the Devo relay to confirm what was written (ms). */
export const STOP_CONFIRM_MS = 1_000;

/** What `startCollector` needs besides the config. */
export interface CollectorOptions {
  readonly logger: Logger;
  /** Builds the pipelines; default: every enabled POD and CASB service. */
  readonly services: ServiceFactory;
  /** Longest wait for the pipelines to flush on stop. Default {@link STOP_TIMEOUT_MS}. */
  readonly stopTimeoutMs?: number;
  /** Serve `/metrics`, `/health`, `/ready` and `/status` here (overrides the config's `globals.http_server`). */
  readonly http?: { readonly address: string; readonly port: number };
  /** `/ready` stays 200 while delivery has failed for less than this. Default 30 s. */
  readonly readinessGraceMs?: number;
  /** `multiprocessing: true`: where the workers' log lines go, as they are. Default `console.log`. */
  readonly writeLine?: (line: string) => void;
  /** `multiprocessing: true`: limits of each worker's heap; a worker past them is restarted. Default: from its config (`workerHeapLimit`). */
  readonly workerResourceLimits?: ResourceLimits;
  /** Where a `console`/`stdout` output writes its lines. Default `process.stdout` (the CLI's standard output). */
  readonly stdout?: ConsoleStream;
  /** Timings of the Devo sender, for special relays (the defaults suit Devo). */
  readonly senderTuning?: SenderTuning;
}

/** A running collector. */
export interface Collector {
  /** Names of the running services. */
  readonly services: readonly string[];
  /**
   * Resolves when every service has stopped, the sender is closed and the state directory's lock
   * released; rejects (`STATE_DIRECTORY_LOCKED`) when the collector had to stop on its own because
   * it lost that lock (another process may be using the directory).
   */
  readonly done: Promise<void>;
  /** Stops the sources, flushes the sink, persists state and closes the connection. */
  stop(): Promise<void>;
  /** What `/metrics`, `/ready` and `/status` read. */
  readonly telemetry: CollectorTelemetry;
  /** The HTTP endpoint's URL (`http://address:port`), when it is on. */
  readonly httpUrl: string | undefined;
}
