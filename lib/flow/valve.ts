import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';

/** Limits of a {@link Valve}. */
export interface ValveLimits {
  /** Closes when this many bytes are in flight. */
  readonly maxBytes: number;
  /** Closes when this many values are in flight. */
  readonly maxItems: number;
}

/**
 * Backpressure between a sink and its source. RxJS has none built in: the sink {@link acquire}s
 * each value it takes and {@link release}s it once the socket took it; the valve closes when the
 * values held reach a limit, and reopens when they fall to half of it. A websocket source pauses
 * its socket while the valve is closed (see `StreamFlow`, and docs/ARCHITECTURE.md, "Flow control").
 *
 * @example
 * const valve = new Valve({ maxBytes: 16 << 20, maxItems: 20_000 });
 * valve.open$.subscribe((open) => (open ? ws.resume() : ws.pause()));
 */
export class Valve {
  private bytes = 0;
  private items = 0;
  private readonly state = new BehaviorSubject<boolean>(true);

  /** Emits `true` (flowing) and `false` (paused), on subscribe and on every change. */
  readonly open$: Observable<boolean> = this.state.pipe(distinctUntilChanged());

  constructor(readonly limits: ValveLimits) {
    if (!(limits.maxBytes >= 1) || !(limits.maxItems >= 1)) {
      throw new RangeError(`Valve: limits must be >= 1, got ${JSON.stringify(limits)}`);
    }
  }

  /** True while the source may produce. */
  get isOpen(): boolean {
    return this.state.value;
  }

  /** Bytes and values in flight now. */
  get inFlight(): { readonly bytes: number; readonly items: number } {
    return { bytes: this.bytes, items: this.items };
  }

  /** Counts values taken by the sink. */
  acquire(items: number, bytes: number): void {
    this.items += items;
    this.bytes += bytes;
    if (this.state.value && (this.bytes >= this.limits.maxBytes || this.items >= this.limits.maxItems)) {
      this.state.next(false);
    }
  }

  /** Counts values delivered (or given up) by the sink. */
  release(items: number, bytes: number): void {
    this.items = Math.max(0, this.items - items);
    this.bytes = Math.max(0, this.bytes - bytes);
    if (!this.state.value && this.bytes <= this.limits.maxBytes / 2 && this.items <= this.limits.maxItems / 2) {
      this.state.next(true);
    }
  }
}
