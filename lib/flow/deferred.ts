/**
 * A promise with its `resolve` and `reject` at hand, settled at most once (later calls are
 * ignored). Its promise is marked as handled at creation, so that a rejection nobody awaits (a
 * caller that did not need the result) never becomes an unhandled rejection; whoever awaits it
 * still sees the rejection.
 *
 * @example
 * const done = new Deferred();
 * socket.write(data, () => done.resolve());
 * await done.promise;
 */
export class Deferred<T = void> {
  readonly promise: Promise<T>;
  private resolveFn!: (value: T) => void;
  private rejectFn!: (error: Error) => void;
  private done = false;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    this.promise.catch(() => undefined);
  }

  /** True once resolved or rejected. */
  get settled(): boolean {
    return this.done;
  }

  resolve(value: T): void {
    if (this.done) return;
    this.done = true;
    this.resolveFn(value);
  }

  reject(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.rejectFn(error);
  }
}
