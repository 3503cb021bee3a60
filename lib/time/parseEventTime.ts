/** Why a value is not an event time. */
export interface InvalidTime {
  readonly reason: string;
}

/** UTC epoch milliseconds, or why the value is not a time. */
export type ParsedTime = number | InvalidTime;

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const DECIMAL = /^\d{1,20}(?:\.\d{1,9})?$/;
/** 9999-12-31T23:59:59.999Z: later values are not event times, they are corrupt numbers. */
const MAX_TIME_MS = 253_402_300_799_999;

/**
 * Parses an event time to UTC epoch milliseconds.
 *
 * Accepts ISO-8601 date-times with `Z`, `±hh:mm`, `±hhmm` or `±hh` offsets (no offset means UTC),
 * fractions down to nanoseconds (truncated to the millisecond), and epoch numbers or numeric
 * strings: below 1e11 they are seconds (fractions allowed), below 1e14 milliseconds, below 1e17
 * microseconds, below 1e20 nanoseconds. Returns `{ reason }` for anything else, never throws.
 *
 * @example
 * parseEventTime('2024-05-22T12:10:03.058340-0700'); // 1716405003058
 * parseEventTime(1716405003);                        // 1716405003000
 * parseEventTime('yesterday');                       // { reason: 'not an ISO-8601 time or epoch number: "yesterday"' }
 */
export function parseEventTime(value: unknown): ParsedTime {
  if (typeof value === 'string') return parseText(value);
  if (typeof value === 'number') return parseEpoch(value);
  if (value === undefined || value === null) return { reason: 'missing' };
  // The Devo collectors' TypeError, word for word.
  const type = Array.isArray(value) ? 'list' : typeof value === 'object' ? 'dict' : typeof value;
  return { reason: `Invalid type ${type}. Must be epoch seconds, epoch millis, str, datetime, or DateTime: ${describe(value)}` };
}

function parseText(text: string): ParsedTime {
  const m = ISO_8601.exec(text);
  if (m === null) {
    if (DECIMAL.test(text)) return parseEpoch(Number(text));
    return { reason: `not an ISO-8601 time or epoch number: ${describe(text)}` };
  }
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (year < 1970) return { reason: `time outside 1970-9999: ${describe(text)}` };
  if (month < 1 || month > 12) return { reason: `month out of range in ${describe(text)}` };
  if (day < 1 || day > daysInMonth(year, month)) return { reason: `day out of range in ${describe(text)}` };
  if (hour > 23 || minute > 59 || second > 60) return { reason: `time of day out of range in ${describe(text)}` };
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offHours = Number(m[10]);
    const offMinutes = m[11] === undefined ? 0 : Number(m[11]);
    if (offHours > 23 || offMinutes > 59) return { reason: `UTC offset out of range in ${describe(text)}` };
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offHours * 60 + offMinutes);
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return inRange(ms, text);
}

function parseEpoch(n: number): ParsedTime {
  if (!Number.isFinite(n) || n < 0) return { reason: `not a valid epoch time: ${describe(n)}` };
  let ms: number;
  if (n < 1e11) ms = n * 1000;
  else if (n < 1e14) ms = n;
  else if (n < 1e17) ms = n / 1e3;
  else if (n < 1e20) ms = n / 1e6;
  else return { reason: `epoch number too large: ${describe(n)}` };
  return inRange(Math.floor(ms), n);
}

function inRange(ms: number, original: unknown): ParsedTime {
  if (ms < 0 || ms > MAX_TIME_MS) return { reason: `time outside 1970-9999: ${describe(original)}` };
  return ms;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** True when {@link parseEventTime} succeeded. */
export function isValidTime(parsed: ParsedTime): parsed is number {
  return typeof parsed === 'number';
}
