/** The JSON grammar's character codes and token scanners, shared by the byte scanners (scanJsonObject). */

/** Character codes of the JSON grammar. */
export const enum Code {
  Tab = 9,
  Lf = 10,
  Cr = 13,
  Space = 32,
  Quote = 34,
  Comma = 44,
  Minus = 45,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  OpenBracket = 91,
  Backslash = 92,
  CloseBracket = 93,
  OpenBrace = 123,
  CloseBrace = 125,
}

export function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= Code.Zero && c <= Code.Nine) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102));
}

export function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= Code.Zero && c <= Code.Nine;
}

/** The end of the JSON number starting at `i` (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`), or -1. */
export function scanNumber(bytes: Uint8Array, i: number): number {
  if (bytes[i] === Code.Minus) i++;
  if (bytes[i] === Code.Zero) i++;
  else if (isDigit(bytes[i])) while (isDigit(bytes[i])) i++;
  else return -1;
  if (bytes[i] === 46 /* . */) {
    i++;
    if (!isDigit(bytes[i])) return -1;
    while (isDigit(bytes[i])) i++;
  }
  if (bytes[i] === 101 || bytes[i] === 69 /* e E */) {
    i++;
    if (bytes[i] === 43 || bytes[i] === Code.Minus) i++;
    if (!isDigit(bytes[i])) return -1;
    while (isDigit(bytes[i])) i++;
  }
  return i;
}
