import { concatMap, defer, map, Observable, pipe, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Valve } from '../flow/valve';
import { batchByArrays } from '../operators/batchBy';
import type { Timed } from '../operators/timed';
import { checkLineTime, devoBody, DevoLineWriter } from './devoLine';
import type { DevoWriter } from './devoWriter';
import { DEVO_BATCH_DEFAULTS } from './devoDefaults';

/** Batch buffers kept for reuse. */
const SPARE_SLABS = 4;

/** Batch limits of {@link devoWrite}. */
export interface DevoBatchOptions {
  /** Default 1000 events. */
  readonly maxEvents?: number;
  /** Default 1 MiB. */
  readonly maxBytes?: number;
  /** Default 250 ms after the first event of the batch. */
  readonly maxDelayMs?: number;
}

/** Options of {@link devoWrite} (and of `devoSink`). */
export interface DevoWriteOptions<T, A = T> {
  readonly writer: DevoWriter;
  /** Devo tag (table), e.g. `mail.proofpoint.pod.message`. */
  readonly tag: string;
  /** Host name in the syslog header. */
  readonly hostname: string;
  /** The event as it goes to Devo: compact JSON, as a string or as UTF-8 bytes (copied as they are). */
  readonly format: (value: T) => string | Buffer;
  /**
   * `format` returns bytes that hold no CR or LF (checked upstream: PoD's `parsePodFrame` keeps a
   * frame's bytes only when they hold none): skip the check that replaces them. Default false.
   */
  readonly cleanBodies?: boolean;
  /**
   * What an acknowledgement carries for each record (default: the record itself). Projecting to
   * the key alone lets the event's bytes be collected as soon as its batch is written.
   */
  readonly ack?: (value: T) => A;
  /**
   * Called with each body `format` returned once its bytes are copied into a batch buffer (a body
   * lent by a {@link ByteArena} goes back there). Not called for what the sink held when
   * unsubscribed.
   */
  readonly release?: (body: Buffer) => void;
  readonly batch?: DevoBatchOptions;
  /** Counts what is held until the socket took it, so that the source can pause while it is full. */
  readonly valve?: Valve;
  readonly scheduler?: SchedulerLike;
}

/** One batch the socket took: its records (as projected by `ack`), and when the relay read them. */
export interface WrittenBatch<A> {
  readonly records: ReadonlyArray<Timed<A>>;
  readonly bytes: number;
  /** Resolves once the relay certainly read the batch; rejects when the writer closed first (see `DevoReceipt`). */
  readonly delivered: Promise<void>;
}

interface Line<A> {
  readonly record: Timed<A>;
  readonly body: Buffer;
  readonly bytes: number;
}

/**
 * The write half of the Devo sink: formats each record as a Devo syslog line (header, then the
 * body's bytes), gathers lines in batches (by count, bytes and delay), hands each batch to the
 * writer with one `send`, one batch after another, in order, and emits a {@link WrittenBatch}
 * once the socket took it. What it holds is counted in the `valve` until then (and released when
 * the subscription ends). Cursors must wait for each batch's `delivered`: `devoSink` does.
 *
 * Completes after the last batch is written. Errors when the writer rejects (it was closed) or
 * `format` throws. Unsubscribing stops emitting; a batch already handed to the writer is still
 * written by it.
 *
 * @example
 * timed$.pipe(devoWrite({ writer: sender, tag: 'casb.proofpoint.alert', hostname, format: JSON.stringify }))
 *   .subscribe((batch) => void batch.delivered.then(() => commit(batch.records)));
 */
export function devoWrite<T, A = T>(options: DevoWriteOptions<T, A>): OperatorFunction<Timed<T>, WrittenBatch<A>> {
  return pipe(
    map((record: Timed<T>) => [record]),
    devoWriteArrays(options),
  );
}

/**
 * {@link devoWrite} for records that travel in arrays (one array per turn): each array's records
 * are formatted and counted in the valve at once, in order.
 *
 * @example
 * sorted$.pipe(devoWriteArrays({ writer: sender, tag: 'mail.proofpoint.pod.maillog', hostname, format: (f) => f.raw }))
 */
export function devoWriteArrays<T, A = T>(options: DevoWriteOptions<T, A>): OperatorFunction<ReadonlyArray<Timed<T>>, WrittenBatch<A>> {
  const { writer, tag, hostname, format, valve, release } = options;
  const clean = options.cleanBodies === true;
  const project = options.ack ?? ((value: T) => value as unknown as A);
  const lines = new DevoLineWriter(hostname, tag);
  const slabs: Buffer[] = [];

  /** One buffer per batch, the vendor's bytes copied (not re-encoded); buffers are recycled. */
  const assemble = (batch: { readonly items: ReadonlyArray<Line<A>>; readonly bytes: number }) => {
    const slab = batch.bytes <= maxBytes ? (slabs.pop() ?? Buffer.allocUnsafeSlow(maxBytes)) : Buffer.allocUnsafeSlow(batch.bytes);
    const data = slab.subarray(0, batch.bytes);
    const records: Array<Timed<A>> = [];
    let offset = 0;
    for (const item of batch.items) {
      offset = lines.write(data, offset, item.record.time, item.body);
      release?.(item.body);
      records.push(item.record);
    }
    return { data, slab, records, bytes: batch.bytes };
  };
  const maxCount = options.batch?.maxEvents ?? DEVO_BATCH_DEFAULTS.maxEvents;
  const maxBytes = options.batch?.maxBytes ?? DEVO_BATCH_DEFAULTS.maxBytes;
  const maxDelayMs = options.batch?.maxDelayMs ?? DEVO_BATCH_DEFAULTS.maxDelayMs;

  return (source) =>
    new Observable<WrittenBatch<A>>((subscriber) => {
      let heldItems = 0;
      let heldBytes = 0;
      const subscription = source
        .pipe(
          map((records) => {
            const turn: Array<Line<A>> = [];
            let turnBytes = 0;
            for (const record of records) {
              checkLineTime(record.time);
              const formatted = format(record.value);
              const body = clean && typeof formatted !== 'string' ? formatted : devoBody(formatted);
              const bytes = lines.lineBytes(body.length);
              turnBytes += bytes;
              turn.push({ record: { time: record.time, value: project(record.value) }, body, bytes });
            }
            heldItems += turn.length;
            heldBytes += turnBytes;
            valve?.acquire(turn.length, turnBytes);
            return turn;
          }),
          batchByArrays({ maxCount, maxBytes, maxDelayMs, size: (l) => l.bytes, scheduler: options.scheduler }),
          // Assemble at once: the events' bodies can be collected while the batch waits its turn.
          map((batch) => assemble(batch)),
          concatMap(({ data, slab, records, bytes }) => {
            const receipt = writer.send(data, {
              lines: records.length,
              onRelease: () => {
                if (slab.length === maxBytes && slabs.length < SPARE_SLABS) slabs.push(slab);
              },
            });
            return defer(() => receipt.written).pipe(
              map((): WrittenBatch<A> => {
                heldItems -= records.length;
                heldBytes -= bytes;
                valve?.release(records.length, bytes);
                return { records, bytes, delivered: receipt.delivered };
              }),
            );
          }),
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
