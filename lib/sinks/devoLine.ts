/** 9999-12-31T23:59:59.999Z: the last time with a 24-character ISO form. */
const MAX_TIME_MS = 253_402_300_799_999;
/** `<14>` */
const PRIORITY = Buffer.from('<14>');

/**
 * The one writer of Devo's wire format: one event per line,
 * `<14>{event time, UTC ISO-8601 with ms} {hostname} {tag}: {body}\n`, written byte by byte into
 * a caller's buffer (the sink writes whole batches into reused buffers; {@link devoLine} is the
 * same writer for one line). Bodies are copied as they are: clean them first with
 * {@link devoBody}. Consecutive events share the header but for the time, whose ISO form is made once per second.
 *
 * @example
 * const lines = new DevoLineWriter('collector-7', 'mail.proofpoint.pod.message');
 * const body = devoBody('{"guid":"x"}');
 * const out = Buffer.alloc(lines.lineBytes(body.length));
 * lines.write(out, 0, 1716405003058, body); // '<14>2024-05-22T19:10:03.058Z collector-7 mail.proofpoint.pod.message: {"guid":"x"}\n'
 */
export class DevoLineWriter {
  private readonly headerBytes: number;
  /** `<14>{time} {hostname} {tag}: ` for the last time written: only the time changes. */
  private readonly header: Buffer;
  private headerTime = Number.NaN;
  /** The second (UTC epoch s) the header's date and time of day are for: within it, only the milliseconds change. */
  private headerSecond = Number.NaN;

  constructor(hostname: string, tag: string) {
    const tail = Buffer.from(` ${hostname} ${tag}: `);
    this.headerBytes = PRIORITY.length + 24 + tail.length;
    this.header = Buffer.alloc(this.headerBytes);
    PRIORITY.copy(this.header, 0);
    tail.copy(this.header, PRIORITY.length + 24);
  }

  /** Bytes of a line whose body has `bodyBytes` bytes. */
  lineBytes(bodyBytes: number): number {
    return this.headerBytes + bodyBytes + 1;
  }

  /**
   * Writes one line at `offset` of `target` (which must hold {@link lineBytes}) and returns the
   * offset after it. Throws a RangeError for a time outside 1970-9999 (UTC epoch ms).
   */
  write(target: Buffer, offset: number, time: number, body: Buffer): number {
    if (time !== this.headerTime) {
      checkLineTime(time);
      this.headerTime = time;
      const second = Math.floor(time / 1000);
      if (second === this.headerSecond) {
        // `.mmmZ` only: one ISO conversion per second of event time.
        const ms = time - second * 1000;
        const at = PRIORITY.length + 20;
        this.header[at] = 48 + Math.floor(ms / 100);
        this.header[at + 1] = 48 + (Math.floor(ms / 10) % 10);
        this.header[at + 2] = 48 + (ms % 10);
      } else {
        this.headerSecond = second;
        this.header.write(new Date(time).toISOString(), PRIORITY.length, 'latin1');
      }
    }
    target.set(this.header, offset);
    target.set(body, offset + this.headerBytes);
    const end = offset + this.headerBytes + body.length;
    target[end] = 0x0a;
    return end + 1;
  }
}

/** Throws a RangeError unless `time` (UTC epoch ms) has a 24-character ISO form: 1970 to 9999. */
export function checkLineTime(time: number): void {
  if (!(time >= 0 && time <= MAX_TIME_MS)) throw new RangeError(`Devo line: event time ${time} is not between 1970 and 9999 (UTC epoch ms)`);
}

/**
 * An event's body as it may go on a line: the bytes as they are, or, when they hold a CR or LF
 * (which would split the event in two at Devo), every run of CR/LF replaced by a space.
 */
export function devoBody(body: string | Buffer): Buffer {
  const breaks = typeof body === 'string' ? body.includes('\n') || body.includes('\r') : body.includes(0x0a) || body.includes(0x0d);
  if (breaks) return Buffer.from((typeof body === 'string' ? body : body.toString('utf8')).replace(/[\r\n]+/g, ' '));
  return typeof body === 'string' ? Buffer.from(body) : body;
}

/**
 * One event in Devo's wire format, as a string (the same writer as the sink's).
 *
 * @example
 * devoLine(1716405003058, 'collector-7', 'mail.proofpoint.pod.message', '{"guid":"x"}');
 * // '<14>2024-05-22T19:10:03.058Z collector-7 mail.proofpoint.pod.message: {"guid":"x"}\n'
 */
export function devoLine(time: number, hostname: string, tag: string, body: string): string {
  const writer = new DevoLineWriter(hostname, tag);
  const bytes = devoBody(body);
  const out = Buffer.alloc(writer.lineBytes(bytes.length));
  writer.write(out, 0, time, bytes);
  return out.toString('utf8');
}
