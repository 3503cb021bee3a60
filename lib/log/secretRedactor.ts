/** Placeholder written where a secret was. */
export const REDACTED = '***';

/**
 * Replaces every occurrence of the registered secrets (API tokens, client secrets, key
 * passphrases) in a text. Shared by the logger, error messages, stats and dead-letter files,
 * so that a secret cannot leak through any of them.
 *
 * @example
 * const r = new SecretRedactor(['s3cr3t-token']);
 * r.redact('Bearer s3cr3t-token'); // 'Bearer ***'
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  constructor(secrets: Iterable<string> = []) {
    for (const s of secrets) this.add(s);
  }

  /** Registers a secret. Values shorter than 4 characters are ignored (they would mask noise). */
  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < 4 || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    const alternatives = [...this.secrets]
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.pattern = new RegExp(alternatives.join('|'), 'g');
  }

  /** The text with every registered secret replaced by {@link REDACTED}. */
  redact(text: string): string {
    return this.pattern === undefined ? text : text.replace(this.pattern, REDACTED);
  }
}
