import { asyncScheduler, defer, Observable, type MonoTypeOperatorFunction, type ObservableInput, type SchedulerLike, type Subscription } from 'rxjs';

/** Why {@link CommitAcksOptions.persist} is called. */
export type CommitReason = 'commit' | 'complete' | 'error';

/** Options of {@link commitAcks}. */
export interface CommitAcksOptions<A> {
  /** Folds one acknowledgement into the in-memory cursor (synchronous). */
  readonly apply: (ack: A) => void;
  /**
   * Writes the cursor: `commit` while running, `complete` for the last write after the source
   * completed (a clean stop), `error` for the last write after it errored. The write is done
   * when what it returns (a Promise, an Observable) completes; a failure is passed to `onError`
   * and the stream goes on (the next commit writes again).
   */
  readonly persist: (reason: CommitReason) => ObservableInput<unknown>;
  /** At most one write per this interval. */
  readonly intervalMs: number;
  readonly onError: (err: unknown) => void;
  /** Clock of the interval. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/**
 * The commit step: applies each sink acknowledgement to the cursor and persists it at most once
 * per `intervalMs` (a write starts at once if the last one started longer ago, else when the
 * interval is over), one write at a time. When the source completes, waits for the running write,
 * writes once more (`complete`), then completes; when it errors, writes once more (`error`: what
 * was acknowledged was delivered, so its cursor is worth keeping), then forwards the error. Acks
 * pass through. A throwing `apply` errors the stream.
 * Unsubscribing cancels the pending timer; a running write finishes on its own.
 *
 * @example
 * acks$.pipe(commitAcks({ apply: (a) => cursor.advance(a), persist: () => store.save(cursor), intervalMs: 250, onError: log }))
 */
export function commitAcks<A>(options: CommitAcksOptions<A>): MonoTypeOperatorFunction<A> {
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<A>((subscriber) => {
      let busy = false;
      let dirty = false;
      let ended = false;
      let lastStart = -Infinity;
      let timer: Subscription | undefined;
      /** The last write, once the running one is done (after the source ended). */
      let lastWrite: (() => void) | undefined;

      const write = (reason: CommitReason, then?: () => void): void => {
        busy = true;
        dirty = false;
        lastStart = scheduler.now();
        let finished = false;
        const done = (): void => {
          if (finished) return;
          finished = true;
          busy = false;
          if (then !== undefined) then();
          else if (lastWrite !== undefined) {
            const next = lastWrite;
            lastWrite = undefined;
            next();
          } else if (dirty && !ended) maybeWrite();
        };
        defer(() => options.persist(reason)).subscribe({
          error: (err: unknown) => {
            options.onError(err);
            done();
          },
          complete: done,
        });
      };
      const maybeWrite = (): void => {
        if (busy || timer !== undefined || !dirty) return;
        const wait = lastStart + options.intervalMs - scheduler.now();
        if (wait <= 0) {
          write('commit');
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
        const last = () => write(reason, then);
        if (busy) lastWrite = last;
        else last();
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
