import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { Valve } from '../flow/valve';

/** Options of {@link gate}. */
export interface GateOptions<T> {
  /**
   * Called once per value, in order: `undefined` lets it pass at once; a promise holds it, and
   * every value after it, until the promise settles (a rejection errors the stream).
   */
  readonly admit: (value: T) => PromiseLike<unknown> | undefined;
  /** Counts the values held, so that the source pauses while they wait (see `Valve`). */
  readonly valve?: Valve;
  /** Bytes of a value, for the valve. Default 0. */
  readonly size?: (value: T) => number;
}

/**
 * Lets each value pass once `admit` allows it: at once (the usual case, no allocation), or after
 * a promise `admit` returned, such as a write that must be durable before the value goes on. Order
 * is kept: values after a held one wait behind it, and `admit` is asked about each only when its
 * turn comes. Completes once the held values have passed; errors with the source (dropping what
 * is held) or when a promise rejects, or `admit` throws. Unsubscribing drops what is held.
 *
 * @example
 * events$.pipe(gate({ admit: (e) => (e.time < floor ? persistLowerFloor(e.time) : undefined) }))
 */
export function gate<T>(options: GateOptions<T>): MonoTypeOperatorFunction<T> {
  const { admit, valve } = options;
  const size = options.size ?? (() => 0);
  return (source) =>
    new Observable<T>((subscriber) => {
      const held: T[] = [];
      let next = 0;
      let waiting = false;
      let completed = false;
      let heldBytes = 0;

      const hold = (value: T): void => {
        held.push(value);
        const bytes = size(value);
        heldBytes += bytes;
        valve?.acquire(1, bytes);
      };
      const unhold = (value: T): void => {
        const bytes = size(value);
        heldBytes -= bytes;
        valve?.release(1, bytes);
      };
      /** Asks `admit` about `value`; true when it passed now, false when it waits (at the front of `held`). */
      const offer = (value: T, isHeld: boolean): boolean => {
        const wait = admit(value);
        if (wait === undefined) {
          if (isHeld) unhold(value);
          subscriber.next(value);
          return true;
        }
        waiting = true;
        if (!isHeld) {
          hold(value);
          next = held.length - 1;
        }
        wait.then(
          () => {
            waiting = false;
            const value = held[next]!;
            next++;
            unhold(value);
            subscriber.next(value);
            drain();
          },
          (err: unknown) => subscriber.error(err),
        );
        return false;
      };
      const drain = (): void => {
        while (!waiting && next < held.length && !subscriber.closed) {
          const value = held[next]!;
          try {
            if (offer(value, true)) next++;
          } catch (err) {
            subscriber.error(err);
            return;
          }
        }
        if (!waiting && next >= held.length) {
          held.length = 0;
          next = 0;
          if (completed) subscriber.complete();
        }
      };

      const subscription = source.subscribe({
        next(value) {
          if (waiting) {
            hold(value);
            return;
          }
          try {
            offer(value, false);
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          completed = true;
          if (!waiting) subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        valve?.release(held.length - next, heldBytes);
        heldBytes = 0;
        held.length = 0;
      };
    });
}
