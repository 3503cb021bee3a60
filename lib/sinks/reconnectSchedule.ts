import type { SchedulerLike, Subscription } from 'rxjs';
import type { Logger } from '../log/logger';
import { backoffDelay } from '../flow/backoff';

/** Options of a {@link ReconnectSchedule}. */
export interface ReconnectScheduleOptions {
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** A connection that lived this long resets the backoff. */
  readonly healthyAfterMs: number;
  /** While idle, a probe connection this often. */
  readonly idleProbeMs: number;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly logger: Logger;
}

/**
 * When a sender opens its next connection: after a failure, with capped exponential backoff and
 * jitter (the backoff grows with consecutive failures, and a connection that lived long enough
 * resets it); while idle, a probe every `idleProbeMs`. One timer at a time; `connect` is called
 * with whether the connection is a probe.
 */
export class ReconnectSchedule {
  private failures = 0;
  private retryTimer: Subscription | undefined;
  private probeTimer: Subscription | undefined;

  constructor(
    private readonly options: ReconnectScheduleOptions,
    private readonly connect: (probe: boolean) => void,
  ) {}

  /** A reconnect is waiting for its backoff. */
  get waiting(): boolean {
    return this.retryTimer !== undefined;
  }

  /** A connection went as planned: the backoff starts over. */
  succeeded(): void {
    this.failures = 0;
  }

  /** A connection that lived `livedMs` was lost, or an attempt failed (0). */
  failed(livedMs = 0): void {
    this.failures = livedMs >= this.options.healthyAfterMs ? 1 : this.failures + 1;
  }

  /** Reconnects after the backoff. */
  retry(): void {
    if (this.retryTimer !== undefined) return;
    const { backoffInitialMs, backoffMaxMs, scheduler, random, logger } = this.options;
    const delay = backoffDelay({ initialMs: backoffInitialMs, maxMs: backoffMaxMs }, this.failures, random);
    logger.info(`Reconnecting to Devo in ${delay} ms (attempt ${this.failures + 1})`);
    this.retryTimer = scheduler.schedule(() => {
      this.retryTimer = undefined;
      this.connect(false);
    }, delay);
  }

  /** Opens a probe connection after `idleProbeMs`, unless something else connects first. */
  probe(): void {
    if (this.probeTimer !== undefined) return;
    this.probeTimer = this.options.scheduler.schedule(() => {
      this.probeTimer = undefined;
      if (this.retryTimer === undefined) this.connect(true);
    }, this.options.idleProbeMs);
  }

  /** Cancels what is scheduled. */
  cancel(): void {
    this.retryTimer?.unsubscribe();
    this.retryTimer = undefined;
    this.probeTimer?.unsubscribe();
    this.probeTimer = undefined;
  }
}
