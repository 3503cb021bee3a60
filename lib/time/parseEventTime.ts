/** Why a value is not an event time. */
export interface InvalidTime {
  readonly reason: string;
}

/** UTC epoch milliseconds, or why the value is not a time. */
export type ParsedTime = number | InvalidTime;

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
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

/** The digit at `i`, or -1. */
function digit(text: string, i: number): number {
  const d = text.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

/**
 * The common shapes (`2024-05-22T12:10:03.058340-0700`, `…Z`, `…+05:30`) read by position,
 * without a regex match: most events take this path. Anything else (or out of range) returns
 * NaN and goes through the regex, which also explains the rejection.
 */
function parseCommonIso(text: string): number {
  const n = text.length;
  if (
    n < 20 ||
    text.charCodeAt(4) !== 45 ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58
  ) {
    return NaN;
  }
  const two = (i: number): number => {
    const a = digit(text, i);
    const b = digit(text, i + 1);
    return a < 0 || b < 0 ? -1 : a * 10 + b;
  };
  const century = two(0);
  const yy = two(2);
  const month = two(5);
  const day = two(8);
  const hour = two(11);
  const minute = two(14);
  const second = two(17);
  if (century < 0 || yy < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return NaN;
  const year = century * 100 + yy;
  let i = 19;
  let millis = 0;
  if (text.charCodeAt(i) === 46) {
    let scale = 100;
    i++;
    const start = i;
    for (let x = digit(text, i); x >= 0; x = digit(text, ++i)) {
      millis += x * scale;
      scale /= 10;
    }
    if (i === start || i - start > 9) return NaN;
    millis = Math.floor(millis);
  }
  let offsetMinutes: number;
  const z = text.charCodeAt(i);
  if ((z === 90 || z === 122) && i + 1 === n) offsetMinutes = 0;
  else if (z === 43 || z === 45) {
    const h1 = digit(text, i + 1);
    const h2 = digit(text, i + 2);
    let m1: number;
    let m2: number;
    if (text.charCodeAt(i + 3) === 58 && i + 6 === n) {
      m1 = digit(text, i + 4);
      m2 = digit(text, i + 5);
    } else if (i + 5 === n) {
      m1 = digit(text, i + 3);
      m2 = digit(text, i + 4);
    } else return NaN;
    if (h1 < 0 || h2 < 0 || m1 < 0 || m2 < 0) return NaN;
    const oh = h1 * 10 + h2;
    const om = m1 * 10 + m2;
    if (oh > 23 || om > 59) return NaN;
    offsetMinutes = (z === 45 ? -1 : 1) * (oh * 60 + om);
  } else return NaN;
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return ms >= 0 && ms <= MAX_TIME_MS ? ms : NaN;
}

function parseText(text: string): ParsedTime {
  const common = parseCommonIso(text);
  if (!Number.isNaN(common)) return common;
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
  // Date.UTC reads years below 100 as 19xx; those are far outside the range anyway.
  if (year < 1000) return { reason: `time outside 1970-9999: ${describe(text)}` };
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

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1]!;
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
