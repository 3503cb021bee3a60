import { Subject, type Observable } from 'rxjs';
import { Valve, type ValveLimits } from './valve';

/**
 * The flow control of a streaming pipeline, in one object handed to the parts that use it:
 * - `valve`: the sink counts what it holds until the socket took it (`acquire`/`release`), and
 *   the source pauses its socket while the valve is closed;
 * - `breaks$`: the source reports each break in its stream (a session ended) with
 *   {@link streamBroke}, and the windows that hold events back (`sortWithin`) flush on it, so that
 *   nothing waits for a stream that has ended.
 * RxJS has no backpressure of its own: these are the only signals that go upstream.
 *
 * @example
 * const flow = new StreamFlow({ maxBytes: 4 << 20, maxItems: 4096 });
 * podSource({ ..., valve: flow.valve }).pipe(tap((e) => e.kind === 'closed' && flow.streamBroke()), ...,
 *   sortWithin({ maxDelayMs: 500, maxItems: 1024, flush$: flow.breaks$ }), devoSink({ ..., valve: flow.valve }));
 */
export class StreamFlow {
  readonly valve: Valve;
  private readonly breaks = new Subject<void>();
  /** Emits at each break of the source's stream. */
  readonly breaks$: Observable<void> = this.breaks.asObservable();

  constructor(limits: ValveLimits) {
    this.valve = new Valve(limits);
  }

  /** The source's stream broke (a session ended): what waits for more of it should go now. */
  streamBroke(): void {
    this.breaks.next();
  }
}
