import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/** Why {@link CommitAcksOptions.persist} is called. */
export type CommitReason = 'commit' | 'complete' | 'error';

/** Options of {@link commitAcks}. */
export interface CommitAcksOptions<A> {
  /** Folds one acknowledgement into the in-memory cursor (synchronous). */
  readonly apply: (ack: A) => void;
  /**
   * Writes the cursor: `commit` while running, `complete` for the last write after the source
   * completed (a clean stop), `error` for the last write after it errored. A rejection is passed
   * to `onError` and the stream goes on (the next commit writes again).
   */
  readonly persist: (reason: CommitReason) => Promise<void>;
  /** At most one write per this interval. */
  readonly intervalMs: number;
  readonly onError: (err: unknown) => void;
  readonly scheduler?: SchedulerLike;
}

/**
 * The commit step: applies each sink acknowledgement to the cursor and persists it at most once
 * per `intervalMs` (a write starts at once if the last one is older, else when the interval is
 * over), one write at a time. When the source completes, waits for the running write, writes
 * once more (`complete`), then completes; when it errors, writes once more (`error`: what was
 * acknowledged was delivered, so its cursor is worth keeping), then forwards the error. Acks
 * pass through.
 * Unsubscribing cancels the pending timer (a running write finishes on its own).
 *
 * @example
 * acks$.pipe(commitAcks({ apply: (a) => cursor.advance(a), persist: () => store.save(cursor), intervalMs: 2000, onError: log }))
 */
export function commitAcks<A>(options: CommitAcksOptions<A>): MonoTypeOperatorFunction<A> {
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<A>((subscriber) => {
      let running: Promise<void> = Promise.resolve();
      let busy = false;
      let dirty = false;
      let lastStart = -Infinity;
      let timer: Subscription | undefined;
      let ended = false;

      const write = (reason: CommitReason): Promise<void> => {
        busy = true;
        dirty = false;
        lastStart = scheduler.now();
        running = options
          .persist(reason)
          .catch((err: unknown) => options.onError(err))
          .finally(() => {
            busy = false;
            if (dirty && !ended) maybeWrite();
          });
        return running;
      };
      const maybeWrite = (): void => {
        if (busy || timer !== undefined || !dirty) return;
        const wait = lastStart + options.intervalMs - scheduler.now();
        if (wait <= 0) {
          void write('commit');
          return;
        }
        timer = scheduler.schedule(() => {
          timer = undefined;
          if (!ended) maybeWrite();
        }, wait);
      };
      const finish = (reason: CommitReason, then: () => void): void => {
        ended = true;
        timer?.unsubscribe();
        timer = undefined;
        void running.then(() => write(reason)).then(then);
      };

      const subscription = source.subscribe({
        next(ack) {
          try {
            options.apply(ack);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          dirty = true;
          subscriber.next(ack);
          maybeWrite();
        },
        error: (err: unknown) => finish('error', () => subscriber.error(err)),
        complete: () => finish('complete', () => subscriber.complete()),
      });
      return () => {
        ended = true;
        subscription.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
