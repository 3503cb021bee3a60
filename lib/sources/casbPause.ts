import type { SchedulerLike } from 'rxjs';
import { CollectorError } from '../errors/collectorError';

/**
 * Resolves after `ms` on `scheduler` (a CASB input's 429 pause); rejects with
 * `CASB_REQUEST_FAILED` "cancelled" at once when `signal` aborts, or has aborted.
 *
 * @example
 * await casbPause(30_000, abort.signal, asyncScheduler);
 */
export function casbPause(ms: number, signal: AbortSignal, scheduler: SchedulerLike): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new CollectorError('CASB_REQUEST_FAILED', 'cancelled'));
      return;
    }
    const timer = scheduler.schedule(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      timer.unsubscribe();
      reject(new CollectorError('CASB_REQUEST_FAILED', 'cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
