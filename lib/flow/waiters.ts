import type { SchedulerLike } from 'rxjs';

/**
 * One-shot waiters woken together: each {@link wait} resolves at the next {@link wakeAll}, or once
 * its timeout passed (on the scheduler). Nothing rejects.
 *
 * @example
 * const settled = new Waiters(asyncScheduler);
 * await settled.wait(10_000); // resolved by settled.wakeAll(), or after 10 s
 */
export class Waiters {
  private waiting: Array<() => void> = [];

  constructor(private readonly scheduler: SchedulerLike) {}

  /** Resolves at the next `wakeAll`, or after `timeoutMs` (default: no timeout). */
  wait(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? this.scheduler.schedule(() => resolve(), timeoutMs) : undefined;
      this.waiting.push(() => {
        timer?.unsubscribe();
        resolve();
      });
    });
  }

  /** Resolves every pending `wait`. */
  wakeAll(): void {
    for (const waiter of this.waiting.splice(0)) waiter();
  }
}
