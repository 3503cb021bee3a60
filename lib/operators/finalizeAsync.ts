import { Observable, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Like RxJS's `finalize`, for an asynchronous cleanup (closing a client): `cleanup` runs when
 * the subscription ends for any reason (complete, error, unsubscribe), and its failure is
 * swallowed, since nobody is left to hear it. Values, errors and completion pass through.
 *
 * @example
 * defer(() => use(shared.acquire())).pipe(finalizeAsync(() => shared.release()))
 */
export function finalizeAsync<T>(cleanup: () => Promise<void>): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const subscription = source.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        void cleanup().catch(() => undefined);
      };
    });
}
