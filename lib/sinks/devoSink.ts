import { concatMap, from, map, type Observable, type OperatorFunction } from 'rxjs';
import type { Timed } from '../operators/timed';
import { devoWrite, devoWriteArrays, type DevoWriteOptions, type WrittenBatch } from './devoWrite';

/** Options of {@link devoSink}: those of {@link devoWrite}. */
export type DevoSinkOptions<T, A = T> = DevoWriteOptions<T, A>;

/** Acknowledgement of one batch: the relay certainly read its records (as projected by `ack`). */
export interface SinkAck<A> {
  readonly records: ReadonlyArray<Timed<A>>;
  readonly bytes: number;
}

/**
 * The Devo sink: {@link devoWrite} (format, batch, write one batch at a time, backpressure on
 * the socket's write callback), then one {@link SinkAck} per batch, in order, once the relay
 * certainly read it (see `DevoReceipt.delivered`). Commit cursors on these acknowledgements only:
 * a write callback means only that the kernel took the bytes.
 *
 * Completes after the last batch is delivered. Errors when the writer closed before a batch was
 * written or delivered (`DEVO_SENDER_CLOSED`), or `format` throws. Unsubscribing stops emitting;
 * what was handed to the writer is still written by it.
 *
 * @example
 * timed$.pipe(devoSink({ writer: sender, tag: 'mail.proofpoint.pod.message', hostname, format: (f) => f.raw }))
 *   .subscribe((ack) => commit(ack));
 */
export function devoSink<T, A = T>(options: DevoSinkOptions<T, A>): OperatorFunction<Timed<T>, SinkAck<A>> {
  return (source) => acknowledged(source.pipe(devoWrite(options)));
}

/**
 * {@link devoSink} for records that travel in arrays (one array per turn, see `devoWriteArrays`).
 *
 * @example
 * sorted$.pipe(devoSinkArrays({ writer: sender, tag: 'mail.proofpoint.pod.maillog', hostname, format: (f) => f.raw }))
 */
export function devoSinkArrays<T, A = T>(options: DevoSinkOptions<T, A>): OperatorFunction<ReadonlyArray<Timed<T>>, SinkAck<A>> {
  return (source) => acknowledged(source.pipe(devoWriteArrays(options)));
}

/** Each written batch once the relay read it. Writers deliver in write order, so waiting in order costs nothing and keeps acks ordered. */
function acknowledged<A>(written$: Observable<WrittenBatch<A>>): Observable<SinkAck<A>> {
  return written$.pipe(concatMap((batch) => from(batch.delivered).pipe(map((): SinkAck<A> => ({ records: batch.records, bytes: batch.bytes })))));
}
