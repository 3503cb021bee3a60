import { isUtf8 } from 'node:buffer';

/** A PoD event as it travels the pipeline: its key, its raw time field and its text. */
export interface PodFrame {
  /** `guid` (message, audit) or `id` (maillog). */
  readonly key: string;
  /** The vendor's `ts`, unparsed (normalizeTime parses it). */
  readonly ts: unknown;
  /** The event as it goes to Devo: the vendor's bytes, or compact JSON if they held a line break. */
  readonly raw: string;
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

/**
 * Parses one websocket frame of the PoD Log API: UTF-8 text (binary frames are accepted when
 * they are valid UTF-8) holding one JSON object with a non-empty string key (`guid`, or `id` for
 * maillog). The vendor's text is kept as is, so Devo gets the event byte for byte; only a frame
 * holding a raw line break (which would split the syslog line) is re-serialised compactly.
 * Returns a {@link RejectedFrame} with the reason for anything else; never throws.
 *
 * @example
 * parsePodFrame(Buffer.from('{"guid":"a","ts":"2024-05-22T12:10:03.058340-0700"}'), false, 'guid');
 */
export function parsePodFrame(data: Buffer, isBinary: boolean, keyField: 'guid' | 'id'): PodFrame | RejectedFrame {
  if (isBinary && !isUtf8(data)) {
    return { reason: 'binary frame is not valid UTF-8', text: data.toString('latin1') };
  }
  const text = data.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { reason: `not JSON (${err instanceof Error ? err.message : String(err)})`, text };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { reason: `not a JSON object (${Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value})`, text };
  }
  const event = value as Record<string, unknown>;
  const key = Object.prototype.hasOwnProperty.call(event, keyField) ? event[keyField] : undefined;
  if (typeof key !== 'string' || key === '') {
    return { reason: `no ${keyField} (the event's unique key)`, text };
  }
  const trimmed = text.trim();
  const raw = trimmed.includes('\n') || trimmed.includes('\r') ? JSON.stringify(event) : trimmed;
  return { key, ts: Object.prototype.hasOwnProperty.call(event, 'ts') ? event['ts'] : undefined, raw };
}

/** True when {@link parsePodFrame} rejected the frame. */
export function isRejectedFrame(frame: PodFrame | RejectedFrame): frame is RejectedFrame {
  return 'reason' in frame;
}
