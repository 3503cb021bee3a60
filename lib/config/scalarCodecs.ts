import * as t from 'io-ts';
import { parseEventTime } from '../time/parseEventTime';

/**
 * A codec for one scalar setting. Its name is what error lines print after "expected", so it is
 * written for people ("a positive integer"). `parse` returns `undefined` for a bad value.
 */
function scalar<A>(name: string, parse: (u: unknown) => A | undefined): t.Type<A, A, unknown> {
  return new t.Type<A, A, unknown>(
    name,
    (u): u is A => parse(u) !== undefined,
    (u, c) => {
      const value = parse(u);
      return value === undefined ? t.failure(u, c) : t.success(value);
    },
    t.identity,
  );
}

/** Integers may be written as numbers or, after `${ENV}` substitution, as digit strings. */
function toInteger(u: unknown): number | undefined {
  const n = typeof u === 'string' && /^\s*-?\d+\s*$/.test(u) ? Number(u) : u;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}

function toBoolean(u: unknown): boolean | undefined {
  if (typeof u === 'boolean') return u;
  if (u === 'true') return true;
  if (u === 'false') return false;
  return undefined;
}

/** An integer ≥ 1. */
export const PositiveInt = scalar('a positive integer', (u) => {
  const n = toInteger(u);
  return n !== undefined && n >= 1 ? n : undefined;
});

/** An integer from `min` to `max`, both included (Devo's ranges, e.g. `queue_max_size_in_mb`: 1-5120). */
export function IntegerBetween(min: number, max: number): t.Type<number, number, unknown> {
  return scalar(`an integer from ${min} to ${max}`, (u) => {
    const n = toInteger(u);
    return n !== undefined && n >= min && n <= max ? n : undefined;
  });
}

/** An integer ≥ 0 (a number of retries, where 0 means none). */
export const NonNegativeInt = scalar('an integer of 0 or more', (u) => {
  const n = toInteger(u);
  return n !== undefined && n >= 0 ? n : undefined;
});

/** Seconds in a unit of a {@link PeriodSeconds}. */
const PERIOD_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * A period, decoded to seconds: a positive integer of seconds (`3600`) or a positive integer with
 * a unit, `s`, `m`, `h` or `d` (`1h`, `1d`), as in a `requests_limits` entry.
 */
export const PeriodSeconds = scalar('a period: seconds (3600) or a number with s, m, h or d (1h, 1d)', (u) => {
  const seconds = toInteger(u);
  if (seconds !== undefined) return seconds >= 1 ? seconds : undefined;
  if (typeof u !== 'string') return undefined;
  const match = /^\s*(\d+)\s*([smhd])\s*$/i.exec(u);
  if (match === null) return undefined;
  const n = Number(match[1]) * PERIOD_UNITS[match[2]!.toLowerCase()]!;
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
});

/** A number > 0 (fractions allowed). */
export const PositiveNumber = scalar('a positive number', (u) => {
  const n = typeof u === 'string' && u.trim() !== '' ? Number(u) : u;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
});

/** Any finite number, negative ones too (fractions allowed). */
export const FiniteNumber = scalar('a number', (u) => {
  const n = typeof u === 'string' && u.trim() !== '' ? Number(u) : u;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
});

/** A TCP port, 1-65535. */
export const Port = scalar('a port number (1-65535)', (u) => {
  const n = toInteger(u);
  return n !== undefined && n >= 1 && n <= 65535 ? n : undefined;
});

/** A TCP port to listen on, 0-65535 (0: any free one). */
export const ListenPort = scalar('a port number (0-65535; 0: any free one)', (u) => {
  const n = toInteger(u);
  return n !== undefined && n >= 0 && n <= 65535 ? n : undefined;
});

/** `true` or `false`. */
export const Bool = scalar('true or false', toBoolean);

/** A non-empty string. */
export const NonEmptyString = scalar('a non-empty string', (u) => (typeof u === 'string' && u.trim() !== '' ? u : undefined));

/** Control characters (C0, DEL, C1): a line break in a header or a syslog line forges another line. */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A secret (token, key, password): a non-empty string without control characters, never printed. */
export const Secret = scalar('a non-empty string without control characters or line breaks (secret)', (u) =>
  typeof u === 'string' && u.trim() !== '' && !CONTROL.test(u) ? u : undefined,
);

/** An id sent to a vendor (a cluster id, a client id): one line, no control characters, no outer spaces. */
export const SingleLineId = scalar('a non-empty string without spaces around it, control characters or line breaks', (u) => {
  const s = typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 ? String(u) : u;
  return typeof s === 'string' && s !== '' && s.trim() === s && !CONTROL.test(s) ? s : undefined;
});

/** Whether a name can be a syslog HOSTNAME (RFC 5424: 1-255 printable US-ASCII characters, no space). */
export function isSyslogHostname(name: string): boolean {
  return /^[\x21-\x7e]{1,255}$/.test(name);
}

/** A syslog HOSTNAME: a space would make its second word the tag, a line break would forge lines. */
export const SyslogHostname = scalar('a host name of 1-255 printable ASCII characters without spaces (a syslog HOSTNAME)', (u) =>
  typeof u === 'string' && isSyslogHostname(u) ? u : undefined,
);

/** An identifier of `min`-`max` characters; YAML numbers (`id: 12345`) are taken as their digits. */
export function Identifier(min: number, max: number): t.Type<string, string, unknown> {
  return scalar(`a string of ${min}-${max} characters`, (u) => {
    const s = typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 ? String(u) : u;
    return typeof s === 'string' && s.length >= min && s.length <= max && s.trim() === s && !CONTROL.test(s) ? s : undefined;
  });
}

/** One of the given strings. */
export function OneOf<A extends string>(...values: readonly A[]): t.Type<A, A, unknown> {
  const name = values.length === 1 ? `"${values[0]}"` : `one of ${values.map((v) => `"${v}"`).join(', ')}`;
  return scalar(name, (u) => (values.includes(u as A) ? (u as A) : undefined));
}

/** A Devo tag: 2-6 dot-separated parts of letters, digits, `_` or `-`, at most 1024 characters. */
export const DevoTag = scalar('a Devo tag (2-6 dot-separated parts, e.g. my.app.pod.message)', (u) =>
  typeof u === 'string' && u.length <= 1024 && /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){1,5}$/.test(u) ? u : undefined,
);

/** An absolute URL with one of the given protocols (e.g. `wss:`), without a trailing slash. */
export function UrlBase(...protocols: readonly string[]): t.Type<string, string, unknown> {
  return scalar(`a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL`, (u) => {
    if (typeof u !== 'string') return undefined;
    try {
      const url = new URL(u);
      return protocols.includes(url.protocol) ? u.replace(/\/+$/, '') : undefined;
    } catch {
      return undefined;
    }
  });
}

/** An ISO-8601 date-time (with `Z` or an offset), decoded to UTC epoch milliseconds. */
export const IsoTime = scalar('an ISO-8601 date-time such as 2024-01-01T00:00:00Z', (u) => {
  if (typeof u !== 'string' || !/^\d{4}-\d{2}-\d{2}[T ]/.test(u)) return undefined;
  const parsed = parseEventTime(u);
  return typeof parsed === 'number' ? parsed : undefined;
});
