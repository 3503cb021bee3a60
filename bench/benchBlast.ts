import { BenchFrames, type FrameShapeName } from './benchFrames';

/** A session's frames: `total` of them, and one in `1 / duplicates` sent twice (0: none). */
export interface BlastOptions {
  readonly total: number;
  readonly duplicates: number;
}

/** Bytes per write of a blast. */
const CHUNK_BYTES = 256 * 1024;

/** The frames of one session in order: `total` frames, 1% twice, neighbours swapped (local disorder, as the API shows). */
export function* sessionFrames(frames: BenchFrames, options: BlastOptions, time: () => number): Generator<string> {
  const dupEvery = options.duplicates > 0 ? Math.round(1 / options.duplicates) : 0;
  const order = (i: number): number => Math.min(i % 2 === 0 ? i + 1 : i - 1, options.total - 1);
  for (let index = 0; index < options.total;) {
    const frame = frames.frame(order(index), time());
    yield frame;
    index++;
    if (dupEvery > 0 && index % dupEvery === 0) yield frame;
  }
}

/** A blast, encoded: unmasked text frames (server to client), packed whole into chunks. */
export function encodeBlast(shape: FrameShapeName, options: BlastOptions): Buffer[] {
  const chunks: Buffer[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  for (const text of sessionFrames(new BenchFrames(shape), options, Date.now)) {
    const payload = Buffer.from(text, 'utf8');
    const n = payload.length;
    const header = n < 126 ? Buffer.from([0x81, n]) : n < 65536 ? Buffer.from([0x81, 126, n >> 8, n & 0xff]) : Buffer.alloc(10);
    if (n >= 65536) {
      header[0] = 0x81;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(n), 2);
    }
    parts.push(header, payload);
    size += header.length + n;
    if (size >= CHUNK_BYTES) {
      chunks.push(Buffer.concat(parts, size));
      parts = [];
      size = 0;
    }
  }
  if (size > 0) chunks.push(Buffer.concat(parts, size));
  return chunks;
}
