/**
 * The syslog header of one event in Devo's wire format:
 * `<14>{event time, UTC ISO-8601 with ms} {hostname} {tag}: `.
 */
export function devoHeader(time: number, hostname: string, tag: string): string {
  if (time !== lastTime) {
    lastTime = time;
    lastIso = new Date(time).toISOString();
  }
  return `<14>${lastIso} ${hostname} ${tag}: `;
}

// Consecutive events often share a millisecond: format it once.
let lastTime = Number.NaN;
let lastIso = '';

/** True when a body holds a CR or LF, which would split the event in two at Devo. */
export function hasLineBreak(body: string | Buffer): boolean {
  return typeof body === 'string' ? body.includes('\n') || body.includes('\r') : body.includes(0x0a) || body.includes(0x0d);
}

/** The body with every run of CR/LF replaced by a space (compact JSON never holds one: a guard). */
export function withoutLineBreaks(body: string | Buffer): string {
  return (typeof body === 'string' ? body : body.toString('utf8')).replace(/[\r\n]+/g, ' ');
}

/**
 * One event in Devo's wire format: `<14>{event time, UTC ISO-8601 with ms} {hostname} {tag}: {body}\n`.
 * A raw line break in `body` would split the event in two at Devo, so any run of CR/LF is
 * replaced by a space.
 *
 * @example
 * devoLine(1716405003058, 'collector-7', 'mail.proofpoint.pod.message', '{"guid":"x"}');
 * // '<14>2024-05-22T19:10:03.058Z collector-7 mail.proofpoint.pod.message: {"guid":"x"}\n'
 */
export function devoLine(time: number, hostname: string, tag: string, body: string): string {
  return `${devoHeader(time, hostname, tag)}${hasLineBreak(body) ? withoutLineBreaks(body) : body}\n`;
}
