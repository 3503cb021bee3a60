import { asyncScheduler, map, Observable, pipe, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/** Options of {@link batchBy}. */
export interface BatchByOptions<T> {
  /** A batch is emitted when it holds this many values. */
  readonly maxCount: number;
  /** … or when its values' sizes add up to this many bytes (a bigger value goes alone). */
  readonly maxBytes: number;
  /** … or this long after its first value arrived. */
  readonly maxDelayMs: number;
  /** Size of a value in bytes. */
  readonly size: (value: T) => number;
  /** Clock of the delay. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/** Values gathered by {@link batchBy}, with their total size. */
export interface Batch<T> {
  readonly items: readonly T[];
  readonly bytes: number;
}

/**
 * Gathers values into batches bounded by count, bytes and delay, whichever comes first; one timer
 * runs per open batch. On complete, the open batch is emitted, then completion. Errors are
 * forwarded at once (the open batch is dropped: its cursor was not committed). Unsubscribing
 * cancels the timer. A throwing `size` errors the stream.
 *
 * @example
 * lines$.pipe(batchBy({ maxCount: 1000, maxBytes: 1 << 20, maxDelayMs: 200, size: Buffer.byteLength }))
 */
export function batchBy<T>(options: BatchByOptions<T>): OperatorFunction<T, Batch<T>> {
  return pipe(
    map((value: T) => [value]),
    batchByArrays(options),
  );
}

/**
 * {@link batchBy} for values that travel in arrays (one array per turn): the values of each
 * array are taken in order, as if they had come one by one.
 *
 * @example
 * turns$.pipe(batchByArrays({ maxCount: 1000, maxBytes: 1 << 20, maxDelayMs: 200, size: (line) => line.length }))
 */
export function batchByArrays<T>(options: BatchByOptions<T>): OperatorFunction<readonly T[], Batch<T>> {
  const { maxCount, maxBytes, maxDelayMs } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  if (!(maxCount >= 1)) throw new RangeError(`batchBy: maxCount must be >= 1, got ${maxCount}`);
  if (!(maxBytes >= 1)) throw new RangeError(`batchBy: maxBytes must be >= 1, got ${maxBytes}`);

  return (source) =>
    new Observable<Batch<T>>((subscriber) => {
      let items: T[] = [];
      let bytes = 0;
      let timer: Subscription | undefined;

      const emit = (): void => {
        timer?.unsubscribe();
        timer = undefined;
        if (items.length === 0) return;
        const batch: Batch<T> = { items, bytes };
        items = [];
        bytes = 0;
        subscriber.next(batch);
      };

      const subscription = source.subscribe({
        next(values) {
          for (const value of values) {
            let size: number;
            try {
              size = options.size(value);
            } catch (err) {
              subscriber.error(err);
              return;
            }
            if (items.length > 0 && bytes + size > maxBytes) emit();
            items.push(value);
            bytes += size;
            if (items.length >= maxCount || bytes >= maxBytes) emit();
          }
          if (items.length > 0 && timer === undefined) timer = scheduler.schedule(emit, maxDelayMs);
        },
        error: (err: unknown) => subscriber.error(err),
        complete() {
          emit();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
