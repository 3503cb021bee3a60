import type { SchedulerLike, Subscription } from 'rxjs';

/** A timer that runs once and can be cancelled; arming it while armed does nothing. */
export class OneShotTimer {
  private pending: Subscription | undefined;

  constructor(private readonly scheduler: SchedulerLike) {}

  /** Runs `fn` in `ms` unless cancelled first (or already armed). */
  arm(ms: number, fn: () => void): void {
    this.pending ??= this.scheduler.schedule(() => {
      this.pending = undefined;
      fn();
    }, ms);
  }

  cancel(): void {
    this.pending?.unsubscribe();
    this.pending = undefined;
  }
}
