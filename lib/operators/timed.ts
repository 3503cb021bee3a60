/**
 * A pipeline value with its event time, normalised to UTC epoch milliseconds by
 * {@link normalizeTime}. The value itself is left as the vendor sent it.
 */
export interface Timed<T> {
  /** Event time, UTC epoch milliseconds. */
  readonly time: number;
  readonly value: T;
}
