import { map, mergeMap, Observable, pipe, type MonoTypeOperatorFunction } from 'rxjs';
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
  return pipe(
    map((value: T) => [value]),
    gateArrays(options),
    mergeMap((values) => values),
  );
}

/**
 * {@link gate} for values that travel in arrays (one array per turn): each value is asked about
 * in order, and what passes in one turn leaves as one array (never an empty one).
 *
 * @example
 * turns$.pipe(gateArrays({ admit: (e) => (e.time < floor ? persistLowerFloor(e.time) : undefined) }))
 */
export function gateArrays<T>(options: GateOptions<T>): MonoTypeOperatorFunction<readonly T[]> {
  const { admit, valve } = options;
  const size = options.size ?? (() => 0);
  return (source) =>
    new Observable<readonly T[]>((subscriber) => {
      /** What passed in this turn, emitted as one array. */
      let out: T[] = [];
      const emitOut = (): void => {
        if (out.length === 0) return;
        const passed = out;
        out = [];
        subscriber.next(passed);
      };
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
          out.push(value);
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
            out.push(value);
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
            emitOut();
            subscriber.error(err);
            return;
          }
        }
        emitOut();
        if (!waiting && next >= held.length) {
          held.length = 0;
          next = 0;
          if (completed) subscriber.complete();
        }
      };

      const subscription = source.subscribe({
        next(values) {
          for (const value of values) {
            if (waiting) {
              hold(value);
              continue;
            }
            try {
              offer(value, false);
            } catch (err) {
              emitOut();
              subscriber.error(err);
              return;
            }
          }
          emitOut();
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
