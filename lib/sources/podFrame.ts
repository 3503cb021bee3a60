import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { jsonObjectScanner } from './scanJsonObject';
import { problemText } from '../errors/problems';

/** A PoD event as it travels the pipeline: its key, its raw time field and its bytes. */
export interface PodFrame {
  /** `guid` (message, audit) or `id` (maillog). */
  readonly key: string;
  /** The vendor's `ts`, unparsed (normalizeTime parses it). */
  readonly ts: unknown;
  /** The event as it goes to Devo: the vendor's UTF-8 bytes, each raw line break between tokens made a space. */
  readonly raw: Buffer;
}

/** Why a frame was rejected, with its text for the dead letter. */
export interface RejectedFrame {
  readonly reason: string;
  readonly text: string;
  /**
   * The `ts` of a valid event rejected for its size alone (`POD_EVENT_TOO_LARGE`): the cursor
   * moves past it as past a delivered one, so that a catch-up does not bring it back.
   */
  readonly ts?: unknown;
}

/** How much of a too-large frame its dead letter keeps. */
export const TOO_LARGE_HEAD_BYTES = 4096;

/** What {@link parsePodFrame} needs besides the frame. */
export interface PodFrameLimits {
  /** Largest frame kept, bytes; a larger one is rejected as `POD_EVENT_TOO_LARGE`. */
  readonly maxBytes: number;
  /** The setting that sets `maxBytes`, for the reason. */
  readonly setting: string;
}

/** The unique key of each PoD service's events. */
export function podKeyField(type: string): 'guid' | 'id' {
  return type === 'maillog' ? 'id' : 'guid';
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const SCANNERS = { guid: jsonObjectScanner(['ts', 'guid']), id: jsonObjectScanner(['ts', 'id']) };

/**
 * Parses one websocket frame of the PoD Log API: UTF-8 (binary frames are accepted when valid
 * UTF-8) holding one JSON object with a non-empty string key (`guid`, or `id` for maillog). The
 * frame is validated and its key and `ts` read by {@link scanJsonObject}, without building the
 * object, and its bytes are kept as they are, so Devo gets the event byte for byte; only in a
 * frame holding a raw line break (which would split the syslog line) each CR and LF becomes a
 * space, in a copy (in valid JSON a raw line break can only be whitespace between tokens: one in
 * a string is escaped), never through `JSON.parse`. A frame over `limits.maxBytes` is rejected
 * as `POD_EVENT_TOO_LARGE` with its first {@link TOO_LARGE_HEAD_BYTES} bytes, its size and its
 * sha256, and its `ts` when it is a valid event. So one frame costs at most about twice its size.
 * Returns a {@link RejectedFrame} with the reason for anything else; never throws.
 * The kept bytes are a view of `data` (or a new buffer when line breaks were replaced): a
 * pipeline that holds events a while copies them out (the PoD pipeline uses a `ByteArena`).
 *
 * @example
 * parsePodFrame(Buffer.from('{"guid":"a","ts":"2024-05-22T12:10:03.058340-0700"}'), false, 'guid');
 */
export function parsePodFrame(data: Buffer, isBinary: boolean, keyField: 'guid' | 'id', limits?: PodFrameLimits): PodFrame | RejectedFrame {
  if (limits !== undefined && data.length > limits.maxBytes) return tooLarge(data, keyField, limits);
  if (isBinary && !isUtf8(data)) {
    return { reason: 'binary frame is not valid UTF-8', text: data.toString('latin1') };
  }
  const scanned = SCANNERS[keyField](data);
  if ('error' in scanned) {
    const text = data.toString('utf8');
    return { reason: scanned.tooDeep === true ? scanned.error : notJsonReason(text, scanned.error), text };
  }
  // SCANNERS read ['ts', key].
  const key = scanned.values[1];
  if (typeof key !== 'string' || key === '') {
    return { reason: `no ${keyField} (the event's unique key)`, text: data.toString('utf8') };
  }
  let start = 0;
  let end = data.length;
  while (start < end && WHITESPACE.has(data[start]!)) start++;
  while (end > start && WHITESPACE.has(data[end - 1]!)) end--;
  const trimmed = start === 0 && end === data.length ? data : data.subarray(start, end);
  return { key, ts: scanned.values[0], raw: scanned.hasLineBreak ? withoutLineBreaks(trimmed) : trimmed };
}

/** A copy of valid JSON `bytes` with each raw CR and LF (whitespace between tokens) made a space. */
function withoutLineBreaks(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  for (const code of [0x0a, 0x0d]) {
    for (let i = copy.indexOf(code); i !== -1; i = copy.indexOf(code, i + 1)) copy[i] = 0x20;
  }
  return copy;
}

/** The rejection of a frame over the limit: its head, size and digest (and `ts`, when valid). */
function tooLarge(data: Buffer, keyField: 'guid' | 'id', limits: PodFrameLimits): RejectedFrame {
  const sha256 = createHash('sha256').update(data).digest('hex');
  const scanned = isUtf8(data) ? SCANNERS[keyField](data) : undefined;
  const key = scanned === undefined || 'error' in scanned ? undefined : scanned.values[1];
  const valid = scanned !== undefined && !('error' in scanned) && typeof key === 'string' && key !== '';
  const reason = problemText(
    'POD_EVENT_TOO_LARGE',
    `${data.length} bytes, over the ${limits.maxBytes} bytes of ${limits.setting}; sha256 ${sha256}` +
      `${valid ? `; ${keyField} ${JSON.stringify(key)}` : ''}; the record holds its first ${TOO_LARGE_HEAD_BYTES} bytes. Raise ${limits.setting} (at most 128) to deliver such events`,
  );
  const text = data.toString('utf8', 0, Math.min(data.length, TOO_LARGE_HEAD_BYTES));
  return valid ? { reason, text, ts: scanned.values[0] } : { reason, text };
}

/** `not JSON (…)`, or `not a JSON object (…)` for valid JSON of another kind. */
function notJsonReason(text: string, detail: string): string {
  try {
    const value: unknown = JSON.parse(text);
    return `not a JSON object (${Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value})`;
  } catch {
    return `not JSON (${detail})`;
  }
}

/** True when {@link parsePodFrame} rejected the frame. */
export function isRejectedFrame(frame: PodFrame | RejectedFrame): frame is RejectedFrame {
  return 'reason' in frame;
}
