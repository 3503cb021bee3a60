import { isUtf8 } from 'node:buffer';
import { jsonObjectScanner } from './scanJsonObject';

/** A PoD event as it travels the pipeline: its key, its raw time field and its bytes. */
export interface PodFrame {
  /** `guid` (message, audit) or `id` (maillog). */
  readonly key: string;
  /** The vendor's `ts`, unparsed (normalizeTime parses it). */
  readonly ts: unknown;
  /** The event as it goes to Devo: the vendor's UTF-8 bytes, or compact JSON if they held a line break. */
  readonly raw: Buffer;
}

/** Why a frame was rejected, with its text for the dead letter. */
export interface RejectedFrame {
  readonly reason: string;
  readonly text: string;
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
 * object, and its bytes are kept as they are, so Devo gets the event byte for byte; only a frame
 * holding a raw line break (which would split the syslog line) is re-serialised compactly.
 * Returns a {@link RejectedFrame} with the reason for anything else; never throws.
 * The kept bytes are a view of `data` (or a new buffer when re-serialised): a pipeline that holds
 * events a while copies them out (the PoD pipeline uses a `ByteArena`).
 *
 * @example
 * parsePodFrame(Buffer.from('{"guid":"a","ts":"2024-05-22T12:10:03.058340-0700"}'), false, 'guid');
 */
export function parsePodFrame(data: Buffer, isBinary: boolean, keyField: 'guid' | 'id'): PodFrame | RejectedFrame {
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
  let raw: Buffer;
  if (scanned.hasLineBreak) raw = Buffer.from(JSON.stringify(JSON.parse(data.toString('utf8'))));
  else {
    let start = 0;
    let end = data.length;
    while (start < end && WHITESPACE.has(data[start]!)) start++;
    while (end > start && WHITESPACE.has(data[end - 1]!)) end--;
    raw = start === 0 && end === data.length ? data : data.subarray(start, end);
  }
  return { key, ts: scanned.values[0], raw };
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
