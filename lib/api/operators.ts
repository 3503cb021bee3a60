/**
 * The building blocks of the collector's pipelines, for pipelines of your own: the operators
 * (de-dup window, time normalisation, bounded sort, flattening, batching, the commit step), the
 * Devo sink and its sender, and the flow control between them. Each is documented where it is
 * defined; `docs/ARCHITECTURE.md` shows how the collector composes them.
 *
 * @example
 * import { dedupWindow, normalizeTime, sortWithin, devoSink, DevoSender } from 'proofpoint-devo-collector/operators';
 *
 * const sender = new DevoSender({ host: 'collector-us.devo.io', port: 443, ca, cert, key });
 * events$.pipe(
 *   dedupWindow({ key: (e) => e.id }),
 *   normalizeTime('timestamp', (e, reason) => deadLetters.push({ e, reason })),
 *   sortWithin({ maxDelayMs: 500, maxItems: 1024 }),
 *   devoSink({ writer: sender, tag: 'my.app.events', hostname: 'collector-1', format: JSON.stringify }),
 * ).subscribe((ack) => saveCursor(ack.records)); // acks come once the relay read the batch
 *
 * A busy source can hand values over in arrays, one per turn (a socket read): `sortWithinArrays`,
 * `batchByArrays`, `devoWriteArrays` and `devoSinkArrays` take them so, one emission per array.
 *
 * @packageDocumentation
 */
export type { Timed } from '../operators/timed';
export type { DeadLetter } from '../operators/deadLetter';
export {
  dedupWindow,
  dedupStoredKey,
  type DedupEntry,
  type DedupSnapshot,
  type DedupWindow,
  type DedupWindowOptions,
  type DedupWindowState,
} from '../operators/dedupWindow';
export { normalizeTime } from '../operators/normalizeTime';
export { parseEventTime, type ParsedTime } from '../time/parseEventTime';
export { sortWithin, sortWithinArrays, type SortWithinOptions } from '../operators/sortWithin';
export { flatten, flattenRecord, type FlattenOptions, type JsonObject } from '../operators/flatten';
export { batchBy, batchByArrays, type Batch, type BatchByOptions } from '../operators/batchBy';
export { commitAcks, type CommitAcksOptions, type CommitReason } from '../operators/commitAcks';
export { devoSink, devoSinkArrays, type DevoSinkOptions, type SinkAck } from '../sinks/devoSink';
export { devoWrite, devoWriteArrays, type DevoBatchOptions, type DevoWriteOptions, type WrittenBatch } from '../sinks/devoWrite';
export type { DevoReceipt, DevoWriter } from '../sinks/devoWriter';
export { devoLine } from '../sinks/devoLine';
export { DevoSender, type DevoSenderOptions, type DevoSenderStats } from '../sinks/devoSender';
export { Valve, type ValveLimits } from '../flow/valve';
export { StreamFlow } from '../flow/streamFlow';
