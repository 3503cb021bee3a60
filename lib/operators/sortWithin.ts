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
  readonly item: Timed<T>;
  readonly seq: number;
  readonly due: number;
  out: boolean;
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
      const heap = new MinHeap<Held<T>>((a, b) => a.item.time - b.item.time || a.seq - b.seq);
      const arrivals: Held<T>[] = [];
      let head = 0;
      let seq = 0;
      let timer: Subscription | undefined;

      const popMin = (): void => {
        const held = heap.pop();
        if (held === undefined) return;
        held.out = true;
        subscriber.next(held.item);
      };
      const dropEmittedArrivals = (): void => {
        while (head < arrivals.length && arrivals[head]!.out) head++;
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
          while (!oldest.out && !subscriber.closed) popMin();
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
          const held: Held<T> = { item, seq: seq++, due: scheduler.now() + maxDelayMs, out: false };
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

/** A binary min-heap (no library in the stack provides one). */
class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i]!, items[parent]!) >= 0) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < items.length && this.compare(items[l]!, items[smallest]!) < 0) smallest = l;
      if (r < items.length && this.compare(items[r]!, items[smallest]!) < 0) smallest = r;
      if (smallest === i) break;
      [items[i], items[smallest]] = [items[smallest]!, items[i]!];
      i = smallest;
    }
    return top;
  }
}
