import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Timed } from './timed';

/** Options of {@link sortWithin}. */
export interface SortWithinOptions {
  /** Longest time a value is held (from its arrival) waiting for earlier ones. */
  readonly maxDelayMs: number;
  /** Most values held at once; past it the earliest is emitted at once. */
  readonly maxItems: number;
  /** Each emission emits everything held, in order (e.g. when the source's connection closes). */
  readonly flush$?: Observable<unknown>;
  /** Clock of the delay. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

interface Held<T> {
  readonly time: number;
  readonly seq: number;
  readonly due: number;
  /** The value while it is held; dropped once emitted, so the arrival queue does not keep it alive. */
  item: Timed<T> | undefined;
}

/**
 * Orders values by event time within a bounded window. Each value is held at most `maxDelayMs`
 * after it arrives; when the oldest arrival is due, it is emitted together with every held value
 * whose time is not later than its own, earliest first (ties keep arrival order). At most
 * `maxItems` are held: past that, the earliest is emitted at once. Output is sorted whenever the
 * source's disorder stays within the window.
 *
 * On complete, and on each emission of `flush$`, everything held is emitted in order (then, on
 * complete, completion). Errors are forwarded at once
 * (held values are dropped: the cursor that covers them was not committed). Unsubscribing
 * cancels the timer.
 *
 * @example
 * timed$.pipe(sortWithin({ maxDelayMs: 1000, maxItems: 5000 }))
 */
export function sortWithin<T>(options: SortWithinOptions): MonoTypeOperatorFunction<Timed<T>> {
  const { maxDelayMs, maxItems } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  if (!(maxItems >= 1)) throw new RangeError(`sortWithin: maxItems must be >= 1, got ${maxItems}`);
  if (!(maxDelayMs >= 0)) throw new RangeError(`sortWithin: maxDelayMs must be >= 0, got ${maxDelayMs}`);

  return (source) =>
    new Observable<Timed<T>>((subscriber) => {
      const heap = new HeldHeap<T>();
      const arrivals: Held<T>[] = [];
      let head = 0;
      let seq = 0;
      let timer: Subscription | undefined;

      const popMin = (): void => {
        const held = heap.pop();
        if (held === undefined || held.item === undefined) return;
        const item = held.item;
        held.item = undefined;
        subscriber.next(item);
      };
      const dropEmittedArrivals = (): void => {
        while (head < arrivals.length && arrivals[head]!.item === undefined) head++;
        if (head > 1024 && head * 2 > arrivals.length) {
          arrivals.splice(0, head);
          head = 0;
        }
      };
      const flushDue = (): void => {
        const now = scheduler.now();
        dropEmittedArrivals();
        while (head < arrivals.length && arrivals[head]!.due <= now && !subscriber.closed) {
          const oldest = arrivals[head]!;
          while (oldest.item !== undefined && !subscriber.closed) popMin();
          dropEmittedArrivals();
        }
        schedule();
      };
      const schedule = (): void => {
        if (timer !== undefined || head >= arrivals.length || subscriber.closed) return;
        const delay = Math.max(0, arrivals[head]!.due - scheduler.now());
        timer = scheduler.schedule(() => {
          timer = undefined;
          flushDue();
        }, delay);
      };

      const flushAll = (): void => {
        while (heap.size > 0 && !subscriber.closed) popMin();
        dropEmittedArrivals();
      };
      const flushSubscription = options.flush$?.subscribe(() => flushAll());
      const subscription = source.subscribe({
        next(item) {
          const held: Held<T> = { time: item.time, item, seq: seq++, due: scheduler.now() + maxDelayMs };
          heap.push(held);
          arrivals.push(held);
          while (heap.size > maxItems) popMin();
          if (maxDelayMs === 0) flushDue();
          else {
            dropEmittedArrivals();
            schedule();
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete() {
          flushAll();
          subscriber.complete();
        },
      });
      return () => {
        flushSubscription?.unsubscribe();
        subscription.unsubscribe();
        timer?.unsubscribe();
      };
    });
}

/**
 * A binary min-heap of held values by (time, arrival), with the comparison inlined (this runs
 * once or twice per event; no library in the stack provides a heap).
 */
class HeldHeap<T> {
  private readonly items: Array<Held<T>> = [];

  get size(): number {
    return this.items.length;
  }

  push(item: Held<T>): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    const time = item.time;
    const seq = item.seq;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (p.time < time || (p.time === time && p.seq < seq)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  pop(): Held<T> | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    const n = items.length;
    if (n === 0 || last === undefined) return top;
    const time = last.time;
    const seq = last.seq;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let child = l;
      let c = items[l]!;
      if (r < n) {
        const rc = items[r]!;
        if (rc.time < c.time || (rc.time === c.time && rc.seq < c.seq)) {
          child = r;
          c = rc;
        }
      }
      if (time < c.time || (time === c.time && seq < c.seq)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
