import { gzipSync } from 'node:zlib';
import { pendingWrite, type PendingWrite } from './pendingWrite';

/**
 * The write of one batch handed to a sender at `now`: `data` as it is, or, with `gzipLevel`, one
 * complete gzip member of it (zlib level 0-9), as Devo's Python SDK writes a flushed buffer: no
 * length prefix, no separator, so a relay inflates the connection's bytes as concatenated members.
 * Compressed once here, so a re-send after a lost connection writes the same whole member again.
 * The caller's buffer is released at once then (the member is a copy), and the write keeps the
 * lines' size for the statistics.
 *
 * @example
 * const write = batchWrite(lines, scheduler.now(), { lines: 200 }, 6); // write.data: 1f 8b 08 ...
 */
export function batchWrite(
  data: Buffer,
  now: number,
  options: { readonly onRelease?: () => void; readonly lines?: number },
  gzipLevel: number | undefined,
): PendingWrite {
  if (gzipLevel === undefined) return pendingWrite(data, now, options);
  // gzipSync: measured cheaper than a new Gzip stream per batch, and than a reused DeflateRaw flushed per member (commit message).
  const member = gzipSync(data, { level: gzipLevel });
  options.onRelease?.();
  return pendingWrite(member, now, { plainBytes: data.length, ...(options.lines === undefined ? {} : { lines: options.lines }) });
}
