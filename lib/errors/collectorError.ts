/**
 * Every stable error code the collector reports. Each is documented in the README
 * ("Error codes"), those of the outputs in docs/outputs.md ("Error codes"); scripts and alerts
 * may match on them, so they never change meaning.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'CONFIG_UNREADABLE',
  'DEVO_CERT_INVALID',
  'DEVO_TLS_CLIENT_CERT_REJECTED',
  'DEVO_TLS_SERVER_UNTRUSTED',
  'DEVO_TLS_HOSTNAME_MISMATCH',
  'DEVO_TLS_HANDSHAKE_FAILED',
  'DEVO_CONNECT_FAILED',
  'DEVO_CONNECT_TIMEOUT',
  'DEVO_CONNECTION_LOST',
  'DEVO_CLOSED_AFTER_HANDSHAKE',
  'DEVO_SENDER_CLOSED',
  'DEVO_PORT_NOT_TLS',
  'SYSLOG_PORT_SPEAKS_TLS',
  'CONSOLE_OUTPUT_CLOSED',
  'POD_HANDSHAKE_400',
  'POD_HANDSHAKE_401',
  'POD_HANDSHAKE_404',
  'POD_HANDSHAKE_409',
  'POD_HANDSHAKE_FAILED',
  'POD_HANDSHAKE_TIMEOUT',
  'POD_CONNECTION_LOST',
  'POD_PONG_TIMEOUT',
  'POD_EVENT_TOO_LARGE',
  'STATE_UNREADABLE',
  'STATE_WRITE_FAILED',
  'STATE_DIRECTORY_INSECURE',
  'STATE_DIRECTORY_UNWRITABLE',
  'STATE_DIRECTORY_LOCKED',
  'CASB_INIT_VARIABLES',
  'CASB_SETUP',
  'CASB_RETRY_AFTER',
  'CASB_REQUEST_FAILED',
  'CASB_REDIRECT_REFUSED',
  'CASB_BAD_RESPONSE',
  'CASB_PAGE_TOKEN_REPEATED',
  'EVENT_TIME_INVALID',
  'DEDUP_WINDOW_FULL',
  'UNHANDLED_REJECTION',
  'UNCAUGHT_EXCEPTION',
] as const;

/** A stable error code (see {@link ERROR_CODES}). */
export type ErrorCode = (typeof ERROR_CODES)[number];

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
