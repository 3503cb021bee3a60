import { CollectorError } from '../errors/collectorError';
import { Deferred } from '../flow/deferred';
import type { Logger } from '../log/logger';

/** One buffer handed to a sender, from `send` until it is delivered or given up. */
export interface PendingWrite {
  readonly data: Buffer;
  readonly written: Deferred;
  readonly delivered: Deferred;
  /** Tells the buffer's owner that its memory may be reused; called once, then cleared. */
  release: (() => void) | undefined;
  /** When it was handed to the sender (scheduler time). */
  readonly queuedAt: number;
  /** When its write callback fired (scheduler time); 0 before. */
  writtenAt: number;
  /** Syslog lines in `data` (for the statistics; 0 when the writer did not say). */
  readonly lines: number;
  /** The lines' bytes before compression (`data.length` when `data` is not compressed). */
  readonly plainBytes: number;
}

/** A write of `data` handed to a sender at `now`. */
export function pendingWrite(
  data: Buffer,
  now: number,
  options: { readonly onRelease?: () => void; readonly lines?: number; readonly plainBytes?: number } = {},
): PendingWrite {
  return {
    data,
    written: new Deferred(),
    delivered: new Deferred(),
    release: options.onRelease,
    queuedAt: now,
    writtenAt: 0,
    lines: options.lines ?? 0,
    plainBytes: options.plainBytes ?? data.length,
  };
}

/** Marks a write delivered and gives its buffer back. */
export function deliverWrite(write: PendingWrite): void {
  write.written.resolve();
  write.delivered.resolve();
  releaseWrite(write);
}

/** Gives a write up (rejecting what is still pending) and gives its buffer back. */
export function failWrite(write: PendingWrite, error: Error): void {
  write.written.reject(error);
  write.delivered.reject(error);
  releaseWrite(write);
}

/**
 * Gives up what a closing sender still holds: each write is rejected with `DEVO_SENDER_CLOSED`
 * (its cursor was not committed, so it is pulled again on the next start), and a warning says how much.
 */
export function abandonWrites(writes: readonly PendingWrite[], logger: Logger): void {
  if (writes.length === 0) return;
  const bytes = bytesOf(writes);
  logger.problem(
    'DEVO_SENDER_CLOSED',
    `closing with ${writes.length} batch(es) (${bytes} bytes) the relay did not confirm reading; their cursors are not committed, so they are pulled again on the next start`,
  );
  const error = new CollectorError('DEVO_SENDER_CLOSED', 'The Devo sender closed before the relay confirmed reading this batch.');
  for (const write of writes) failWrite(write, error);
}

/** The bytes of `writes`, as written on the wire. */
export function bytesOf(writes: readonly PendingWrite[]): number {
  return writes.reduce((sum, w) => sum + w.data.length, 0);
}

function releaseWrite(write: PendingWrite): void {
  const release = write.release;
  write.release = undefined;
  release?.();
}
