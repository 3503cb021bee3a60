import { Observable, type OperatorFunction } from 'rxjs';
import { parseEventTime } from '../time/parseEventTime';
import type { DeadLetter } from './deadLetter';
import type { Timed } from './timed';

/**
 * Reads `value[field]`, parses it with `parseEventTime` (ISO-8601 with any offset, fractions to
 * nanoseconds, epoch seconds or milliseconds) and emits `{ time, value }` with the time in UTC
 * epoch milliseconds. A value whose time is missing or unparseable is passed to `deadLetter` with
 * the reason and not emitted; the stream goes on.
 *
 * Completes and errors with the source; unsubscribing unsubscribes from the source. If
 * `deadLetter` throws, the stream errors with that error.
 *
 * @example
 * events$.pipe(normalizeTime('ts', (e, reason) => dlq.write(e, reason)))
 */
export function normalizeTime<K extends string, T extends { readonly [P in K]?: unknown }>(field: K, deadLetter: DeadLetter<T>): OperatorFunction<T, Timed<T>> {
  return (source) =>
    new Observable<Timed<T>>((subscriber) =>
      source.subscribe({
        next(value) {
          const parsed = parseEventTime(value[field]);
          if (typeof parsed === 'number') {
            subscriber.next({ time: parsed, value });
            return;
          }
          try {
            deadLetter(value, `${field}: ${parsed.reason}`);
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}
