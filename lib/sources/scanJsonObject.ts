import { Code, isHex, scanNumber } from './jsonTokens';

/** What {@link scanJsonObject} found in a valid JSON object. */
export interface ScannedObject {
  /** The requested top-level members that are present (the last one wins, as in `JSON.parse`). */
  readonly fields: ReadonlyMap<string, unknown>;
  /** The text holds a raw CR or LF between tokens (a syslog line would be split). */
  readonly hasLineBreak: boolean;
}

/** Why the text is not one JSON object. */
export interface ScanError {
  readonly error: string;
  /**
   * True when the scan stopped at nesting deeper than {@link SCAN_JSON_MAX_DEPTH} levels (the
   * rest was not read: the text may be valid JSON, which `JSON.parse` would accept).
   */
  readonly tooDeep?: true;
}

/** Deepest nesting of objects and arrays that {@link scanJsonObject} reads (the top object is level 1). */
export const SCAN_JSON_MAX_DEPTH = 1000;

/**
 * The containers open at each depth (1 = object, 2 = array), shared by every scan: scans are
 * synchronous, and a fresh array per call cost an off-heap allocation per event.
 */
const STACK = new Uint8Array(SCAN_JSON_MAX_DEPTH + 1);

/** Where the scanner is in the grammar. */
const enum State {
  /** After `{`: a key or `}`. */
  KeyOrClose,
  /** After `,` in an object: a key. */
  Key,
  /** After `[`: a value or `]`. */
  ValueOrClose,
  /** After `:`, or `,` in an array: a value. */
  Value,
  /** After a value: `,` or the container's closer. */
  AfterValue,
}

/**
 * Checks that `text` is exactly one JSON object (RFC 8259, the grammar `JSON.parse` accepts) and
 * returns its top-level members named in `wanted`, without building the object: a single pass,
 * iterative (nesting is bounded at {@link SCAN_JSON_MAX_DEPTH} levels, never the call stack; a
 * deeper text is a {@link ScanError} with `tooDeep`), over the bytes as they
 * are (no string is made of the text). It is the cheap way to validate a
 * PoD frame and read its key and time (`JSON.parse` of a 3 KB event costs several times more and
 * allocates the whole tree); its verdicts and values are property-tested against `JSON.parse`.
 *
 * Member values are decoded as `JSON.parse` would (strings unescaped, numbers converted).
 *
 * @example
 * scanJsonObject('{"guid":"a","ts":"2024-05-22T12:10:03.058340-0700","x":[1]}', ['guid', 'ts']);
 * // { fields: Map { 'guid' => 'a', 'ts' => '2024-05-22T12:10:03.058340-0700' }, hasLineBreak: false }
 */
export function scanJsonObject(text: Buffer, wanted: readonly string[]): ScannedObject | ScanError {
  const scanned = scanWith(
    text,
    wanted,
    wanted.map((w) => Buffer.from(w)),
  );
  if ('error' in scanned) return scanned;
  const fields = new Map<string, unknown>();
  wanted.forEach((name, i) => {
    if (scanned.values[i] !== undefined) fields.set(name, scanned.values[i]);
  });
  return { fields, hasLineBreak: scanned.hasLineBreak };
}

/** What a prepared scanner found: the wanted members' values by position (`undefined`: absent). */
export interface ScannedValues {
  readonly values: readonly unknown[];
  readonly hasLineBreak: boolean;
}

/**
 * {@link scanJsonObject} for a fixed set of members, prepared once (for a hot path): the values
 * come by position in `wanted`, without a Map per text.
 *
 * @example
 * const scan = jsonObjectScanner(['guid', 'ts']);
 * scan(frame); // { values: ['a', '2024-05-22T12:10:03.058340-0700'], hasLineBreak: false }
 */
export function jsonObjectScanner(wanted: readonly string[]): (text: Buffer) => ScannedValues | ScanError {
  const names = [...wanted];
  const bytes = names.map((w) => Buffer.from(w));
  return (text) => scanWith(text, names, bytes);
}

function scanWith(text: Buffer, wanted: readonly string[], wantedBytes: readonly Buffer[]): ScannedValues | ScanError {
  // One flat loop with every cursor in locals: closures over a mutated `i` would cost ~4x.
  const n = text.length;
  const values: unknown[] = new Array<unknown>(wanted.length).fill(undefined);
  const stack = STACK;
  let depth = 0;
  let i = 0;
  let c: number;
  let hasLineBreak = false;
  /** The wanted member whose value is being read at depth 1, by position; -1: none. */
  let topKey = -1;
  let topValueStart = 0;
  let state = State.KeyOrClose;
  let error: string | undefined;

  // Leading whitespace, then the opening brace.
  for (c = text[i]!; c === Code.Space || c === Code.Tab || c === Code.Lf || c === Code.Cr; c = text[++i]!) {
    if (c === Code.Lf || c === Code.Cr) hasLineBreak = true;
  }
  if (c !== Code.OpenBrace) return failure('not a JSON object', i, n);
  stack[++depth] = 1;
  i++;

  scan: while (depth > 0) {
    for (c = text[i]!; c === Code.Space || c === Code.Tab || c === Code.Lf || c === Code.Cr; c = text[++i]!) {
      if (c === Code.Lf || c === Code.Cr) hasLineBreak = true;
    }
    if (i >= n) {
      error = 'unexpected end';
      break;
    }
    if (state === State.AfterValue || (state === State.KeyOrClose && c === Code.CloseBrace) || (state === State.ValueOrClose && c === Code.CloseBracket)) {
      if (state === State.AfterValue && c === Code.Comma) {
        i++;
        state = stack[depth] === 1 ? State.Key : State.Value;
        continue;
      }
      if (c !== (stack[depth] === 1 ? Code.CloseBrace : Code.CloseBracket)) {
        error = 'expected , or a closing bracket';
        break;
      }
      depth--;
      i++;
      if (depth === 1 && topKey >= 0) {
        values[topKey] = decode(text, topValueStart, i);
        topKey = -1;
      }
      state = State.AfterValue;
      continue;
    }
    const isKey = state === State.KeyOrClose || state === State.Key;
    if (isKey && c !== Code.Quote) {
      error = 'expected a key';
      break;
    }
    if (!isKey && depth === 1) topValueStart = i;
    if (c === Code.Quote) {
      // A string (key or value): plain characters, escapes, and the closing quote.
      const start = i;
      let escaped = false;
      i++;
      for (;;) {
        // Plain bytes: not '"', not '\\', not a control character (compares beat a table lookup).
        for (c = text[i]!; i < n && c >= Code.Space && c !== Code.Quote && c !== Code.Backslash; c = text[++i]!);
        if (i >= n) {
          error = 'unterminated string';
          break scan;
        }
        if (c === Code.Quote) {
          i++;
          break;
        }
        if (c !== Code.Backslash) {
          error = 'control character in string';
          break scan;
        }
        escaped = true;
        const e = text[i + 1];
        if (e === 117 /* u */) {
          if (!(isHex(text[i + 2]) && isHex(text[i + 3]) && isHex(text[i + 4]) && isHex(text[i + 5]))) {
            error = 'bad \\u escape';
            break scan;
          }
          i += 6;
        } else if (e === Code.Quote || e === Code.Backslash || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
          i += 2;
        } else {
          error = 'bad escape';
          break scan;
        }
      }
      if (isKey) {
        if (depth === 1) {
          if (escaped) {
            const key = JSON.parse(text.toString('utf8', start, i)) as string;
            topKey = wanted.indexOf(key);
          } else {
            // Compared as bytes: no string is made for the members nobody asked for.
            topKey = -1;
            const length = i - 1 - (start + 1);
            for (let w = 0; w < wantedBytes.length; w++) {
              const bytes = wantedBytes[w]!;
              if (bytes.length !== length) continue;
              let k = 0;
              while (k < length && bytes[k] === text[start + 1 + k]) k++;
              if (k === length) topKey = w;
            }
          }
        }
        for (c = text[i]!; c === Code.Space || c === Code.Tab || c === Code.Lf || c === Code.Cr; c = text[++i]!) {
          if (c === Code.Lf || c === Code.Cr) hasLineBreak = true;
        }
        if (c !== Code.Colon) {
          error = 'expected :';
          break;
        }
        i++;
        state = State.Value;
        continue;
      }
    } else if (c === Code.OpenBrace || c === Code.OpenBracket) {
      if (depth >= SCAN_JSON_MAX_DEPTH) return { ...failure(`nested deeper than ${SCAN_JSON_MAX_DEPTH} levels`, i, n), tooDeep: true };
      stack[++depth] = c === Code.OpenBrace ? 1 : 2;
      i++;
      state = c === Code.OpenBrace ? State.KeyOrClose : State.ValueOrClose;
      continue;
    } else if (c === Code.Minus || (c >= Code.Zero && c <= Code.Nine)) {
      const end = scanNumber(text, i);
      if (end < 0) {
        error = 'bad number';
        break;
      }
      i = end;
    } else if (c === 116 && text[i + 1] === 114 && text[i + 2] === 117 && text[i + 3] === 101)
      i += 4; // true
    else if (c === 102 && text[i + 1] === 97 && text[i + 2] === 108 && text[i + 3] === 115 && text[i + 4] === 101)
      i += 5; // false
    else if (c === 110 && text[i + 1] === 117 && text[i + 2] === 108 && text[i + 3] === 108)
      i += 4; // null
    else {
      error = 'unexpected character';
      break;
    }
    if (depth === 1 && topKey >= 0) {
      values[topKey] = decode(text, topValueStart, i);
      topKey = -1;
    }
    state = State.AfterValue;
  }
  if (error !== undefined) return failure(error, i, n);
  for (c = text[i]!; c === Code.Space || c === Code.Tab || c === Code.Lf || c === Code.Cr; c = text[++i]!) {
    if (c === Code.Lf || c === Code.Cr) hasLineBreak = true;
  }
  if (i !== n) return failure('text after the object', i, n);
  return { values, hasLineBreak };
}

function failure(what: string, at: number, n: number): ScanError {
  return { error: `${what} at position ${Math.min(at, n)}` };
}

function utf8(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('utf8', start, end);
}

function decode(bytes: Buffer, start: number, end: number): unknown {
  const first = bytes[start];
  if (first === Code.Quote) {
    const inner = utf8(bytes, start + 1, end - 1);
    return inner.includes('\\') ? (JSON.parse(utf8(bytes, start, end)) as unknown) : inner;
  }
  if (first === Code.Minus || (first !== undefined && first >= Code.Zero && first <= Code.Nine)) return Number(utf8(bytes, start, end));
  return JSON.parse(utf8(bytes, start, end)) as unknown;
}
