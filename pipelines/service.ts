import type { Observable } from 'rxjs';

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
