import type { ErrorCode } from './problems';

/**
 * Every stable error code the collector reports (the registry is `problems.ts`). Each is documented
 * in docs/errors.md; scripts and alerts may match on them, so they never change meaning.
 */
export { ERROR_CODES, type ErrorCode } from './problems';

/**
 * The one error class of the collector: a stable `code`, a message that names the setting to
 * fix or the action to take, and the underlying `cause` when there is one.
 *
 * @example
 * throw new CollectorError('DEVO_TLS_HOSTNAME_MISMATCH', 'check outputs.devo_1.config.address', { cause: err });
 */
export class CollectorError extends Error {
  override readonly name: string = 'CollectorError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The message of any thrown value (never the stack). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A thrown value for a log line: `CODE: message` for a {@link CollectorError}, else the message. */
export function describeError(err: unknown): string {
  return err instanceof CollectorError ? `${err.code}: ${err.message}` : errorMessage(err);
}
