/** Placeholder written where a secret was. */
export const REDACTED = '***';

/**
 * Replaces every occurrence of the registered secrets (API tokens, client secrets, key
 * passphrases) in a text. Shared by the logger, error messages, stats and dead-letter files,
 * so that a secret cannot leak through any of them.
 *
 * A secret is matched in every form it can take in output, not only as it is: JSON-escaped (once,
 * as inside a JSON string, and twice, as a JSON body quoted in a log line), URL-encoded
 * (`encodeURIComponent`, upper- or lower-case hex), form-encoded (`+` for a space, and as
 * `URLSearchParams` writes it), and its UTF-8 bytes read as latin1 (a body decoded as latin1). So
 * the order of escaping and redacting does not matter.
 *
 * @example
 * const r = new SecretRedactor(['s3cr3t-token']);
 * r.redact('Bearer s3cr3t-token'); // 'Bearer ***'
 * new SecretRedactor(['a"b\\c']).redact(JSON.stringify({ token: 'a"b\\c' })); // '{"token":"***"}'
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();
  private readonly forms = new Set<string>();
  private pattern: RegExp | undefined;
  private longestForm = 0;

  constructor(secrets: Iterable<string> = []) {
    for (const s of secrets) this.add(s);
  }

  /**
   * Registers a secret, in every form it can take in output. Values shorter than 4 characters are
   * ignored (they would mask noise).
   */
  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < 4 || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    for (const form of formsOf(secret)) {
      this.forms.add(form);
      this.longestForm = Math.max(this.longestForm, form.length);
    }
    // Longest first: at a given position, a longer form (an escaped one) wins over a shorter one.
    const alternatives = [...this.forms].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.pattern = new RegExp(alternatives.join('|'), 'g');
  }

  /** The text with every registered secret, in any of its forms, replaced by {@link REDACTED}. */
  redact(text: string): string {
    return this.pattern === undefined ? text : text.replace(this.pattern, REDACTED);
  }

  /**
   * The first `maxChars` characters (at most) of the text, redacted, without the piece of a
   * secret that a plain cut (`redact(text.slice(0, n))`) would leave at the end. Only a bounded
   * prefix of the text is read, however long it is.
   *
   * @example
   * new SecretRedactor(['s3cr3t-token']).redactHead('Bearer s3cr3t-token', 10); // 'Bearer ***'
   */
  redactHead(text: string, maxChars: number): string {
    if (this.pattern === undefined) return text.slice(0, maxChars);
    // Every secret that starts before maxChars ends within this window, so it is redacted whole.
    const window = text.slice(0, maxChars + this.longestForm);
    const redacted = this.redact(window);
    if (window.length === text.length) return redacted.slice(0, maxChars);
    // A secret the window cut through is left as the start of one of its forms, at the very end.
    return redacted.slice(0, Math.min(maxChars, redacted.length - this.partialFormAtEnd(redacted)));
  }

  /** Length of the longest proper prefix of a registered form that `text` ends with (0 if none). */
  private partialFormAtEnd(text: string): number {
    let longest = 0;
    for (const form of this.forms) {
      for (let k = Math.min(form.length - 1, text.length); k > longest; k--) {
        if (text.endsWith(form.slice(0, k))) {
          longest = k;
          break;
        }
      }
    }
    return longest;
  }
}

/** The forms a secret takes once escaped or encoded for output (the secret itself first). */
function formsOf(secret: string): string[] {
  const forms = [secret];
  const json = JSON.stringify(secret).slice(1, -1);
  forms.push(json, JSON.stringify(json).slice(1, -1));
  try {
    const url = encodeURIComponent(secret);
    forms.push(
      url,
      url.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
      url.replace(/%20/g, '+'),
    );
    forms.push(new URLSearchParams({ s: secret }).toString().slice('s='.length));
  } catch {
    // A lone surrogate cannot be URL-encoded, so it never is in output either.
  }
  forms.push(Buffer.from(secret, 'utf8').toString('latin1'));
  return [...new Set(forms)];
}
