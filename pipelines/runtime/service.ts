import type { Observable, SchedulerLike } from 'rxjs';
import type { Logger } from '../../lib/log/logger';
import type { SecretRedactor } from '../../lib/log/secretRedactor';
import type { ServiceTelemetry } from '../../lib/telemetry/serviceTelemetry';
import type { DevoBatchOptions } from '../../lib/sinks/devoWrite';
import type { DevoWriter } from '../../lib/sinks/devoWriter';

/**
 * One running pipeline (`pod/message`, `casb/alerts`, ...), as the runner supervises it.
 * `run(stop$)` is cold: subscribing starts the pipeline; when `stop$` emits, the source stops,
 * what is buffered is flushed and committed, and the observable completes. An error means the
 * pipeline failed; the runner logs it and starts it again after a backoff.
 */
export interface Service {
  /** `input/service`, e.g. `pod/message`. */
  readonly name: string;
  run(stop$: Observable<void>): Observable<unknown>;
}

/** What every pipeline needs besides its config. */
export interface PipelineDeps {
  /** The output's shared connection. */
  readonly writer: DevoWriter;
  readonly logger: Logger;
  readonly stateDirectory: string;
  /** Host name in the syslog header. */
  readonly hostname: string;
  readonly batch?: DevoBatchOptions;
  /** Where the service reports (counters, state, last error). Default: telemetry of its own. */
  readonly telemetry?: ServiceTelemetry;
  /** Masks secrets in dead-letter files. */
  readonly redactor?: SecretRedactor;
  /** Wall clock for state decisions. Default `Date.now`. */
  readonly now?: () => number;
  readonly scheduler?: SchedulerLike;
}
