/**
 * One event in Devo's syslog wire format:
 * `<14>{event time, UTC ISO-8601 with ms} {hostname} {tag}: {body}\n`.
 * A raw line break in `body` would split the event in two at Devo, so any run of CR/LF is
 * replaced by a space (compact JSON never contains one; this only guards other bodies).
 *
 * @example
 * devoLine(1716405003058, 'collector-7', 'mail.proofpoint.pod.message', '{"guid":"x"}');
 * // '<14>2024-05-22T19:10:03.058Z collector-7 mail.proofpoint.pod.message: {"guid":"x"}\n'
 */
export function devoLine(time: number, hostname: string, tag: string, body: string): string {
  const safe = body.includes('\n') || body.includes('\r') ? body.replace(/[\r\n]+/g, ' ') : body;
  return `<14>${new Date(time).toISOString()} ${hostname} ${tag}: ${safe}\n`;
}
