import { concatMap, defer, map, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Valve } from '../flow/valve';
import { batchBy } from '../operators/batchBy';
import type { Timed } from '../operators/timed';
import { devoLine } from './devoLine';

/** What the sink writes to: a {@link DevoSender}, or anything that acknowledges whole buffers. */
export interface DevoWriter {
  send(data: Buffer): Promise<void>;
}

/** Batch limits of {@link devoSink}. */
export interface DevoBatchOptions {
  /** Default 1000 events. */
  readonly maxEvents?: number;
  /** Default 1 MiB. */
  readonly maxBytes?: number;
  /** Default 250 ms after the first event of the batch. */
  readonly maxDelayMs?: number;
}

/** Options of {@link devoSink}. */
export interface DevoSinkOptions<T> {
  readonly writer: DevoWriter;
  /** Devo tag (table), e.g. `mail.proofpoint.pod.message`. */
  readonly tag: string;
  /** Host name in the syslog header. */
  readonly hostname: string;
  /** The event as it goes to Devo (compact JSON, without line breaks). */
  readonly format: (value: T) => string;
  readonly batch?: DevoBatchOptions;
  /** Counts what the sink holds, so that the source can pause while it is full. */
  readonly valve?: Valve;
  readonly scheduler?: SchedulerLike;
}

/** Acknowledgement of one batch: its records were handed to the relay's connection. */
export interface SinkAck<T> {
  readonly records: ReadonlyArray<Timed<T>>;
  readonly bytes: number;
}

interface Line<T> {
  readonly record: Timed<T>;
  readonly line: string;
  readonly bytes: number;
}

/**
 * Formats each record as a Devo syslog line, gathers lines in batches (by count, bytes and
 * delay), writes each batch with one `send` and emits a {@link SinkAck} when the write callback
 * has fired: the commit step persists cursors from these acknowledgements only. Batches are
 * written one after another, in order. What the sink holds is counted in the `valve` until
 * acknowledged (and released when the subscription ends).
 *
 * Completes after the last batch is acknowledged. Errors when the writer rejects (it was
 * closed) or `format` throws. Unsubscribing stops emitting; a batch already handed to the writer
 * is still written by it.
 *
 * @example
 * timed$.pipe(devoSink({ writer: sender, tag: 'mail.proofpoint.pod.message', hostname, format: (f) => f.raw }))
 *   .subscribe((ack) => commit(ack));
 */
export function devoSink<T>(options: DevoSinkOptions<T>): OperatorFunction<Timed<T>, SinkAck<T>> {
  const { writer, tag, hostname, format, valve } = options;
  const maxCount = options.batch?.maxEvents ?? 1000;
  const maxBytes = options.batch?.maxBytes ?? 1024 * 1024;
  const maxDelayMs = options.batch?.maxDelayMs ?? 250;

  return (source) =>
    new Observable<SinkAck<T>>((subscriber) => {
      let heldItems = 0;
      let heldBytes = 0;
      const subscription = source
        .pipe(
          map((record): Line<T> => {
            const line = devoLine(record.time, hostname, tag, format(record.value));
            const bytes = Buffer.byteLength(line);
            heldItems++;
            heldBytes += bytes;
            valve?.acquire(1, bytes);
            return { record, line, bytes };
          }),
          batchBy({ maxCount, maxBytes, maxDelayMs, size: (l) => l.bytes, scheduler: options.scheduler }),
          concatMap((batch) =>
            defer(() => {
              const data = Buffer.allocUnsafe(batch.bytes);
              let offset = 0;
              for (const item of batch.items) offset += data.write(item.line, offset);
              return writer.send(data);
            }).pipe(
              map((): SinkAck<T> => {
                heldItems -= batch.items.length;
                heldBytes -= batch.bytes;
                valve?.release(batch.items.length, batch.bytes);
                return { records: batch.items.map((l) => l.record), bytes: batch.bytes };
              }),
            ),
          ),
        )
        .subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        valve?.release(heldItems, heldBytes);
        heldItems = 0;
        heldBytes = 0;
      };
    });
}
