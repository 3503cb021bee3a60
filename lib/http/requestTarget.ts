/** An origin-form target: a path of RFC 3986 `pchar`s (no `[`, `]`, space or control), then any visible query. */
const ORIGIN_FORM = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*(?:\?[\x21-\x7e]*)?$/;

/**
 * The path of an HTTP request target (RFC 9112 §3.2), or `undefined` when the target is not one
 * this endpoint can answer (the caller answers 400). Origin form (`/metrics?x`) must be a path of
 * URL path characters (`//[` is not) and is read against a fixed origin; absolute form
 * (`http://host:9464/metrics`) must parse as a URL. Never throws: whatever a client sends, it
 * yields a path or `undefined`.
 *
 * @example
 * requestTargetPath('/metrics?name[]=x'); // '/metrics'
 * requestTargetPath('http://a:b');        // undefined (the port is not a number)
 */
export function requestTargetPath(target: string | undefined): string | undefined {
  if (target === undefined || target === '') return undefined;
  try {
    if (target.startsWith('/')) return ORIGIN_FORM.test(target) ? new URL(`http://localhost${target}`).pathname : undefined;
    if (/^https?:\/\//i.test(target)) return new URL(target).pathname;
    return undefined;
  } catch {
    return undefined;
  }
}
