/** How a problem is logged: a warning (the collector recovers by itself) or an error. */
export type ProblemLevel = 'warn' | 'error';

/**
 * The registry of the collector's problems: every stable code and the level its line is
 * written at. docs/errors.md holds each code's meaning and remedy (a spec checks that the two
 * list the same codes); a problem is reported once, typed, through `Logger.problem`, which
 * writes its line (`CODE: message`) and, for a service's logger, records it for `/status` and
 * counts it for `/metrics` (`problems_total{code}`): nothing reads a code back out of log text.
 */
export const PROBLEMS = {
  CONFIG_INVALID: 'error',
  CONFIG_UNREADABLE: 'error',
  DEVO_CERT_INVALID: 'error',
  DEVO_TLS_CLIENT_CERT_REJECTED: 'error',
  DEVO_TLS_SERVER_UNTRUSTED: 'error',
  DEVO_TLS_HOSTNAME_MISMATCH: 'error',
  DEVO_TLS_HANDSHAKE_FAILED: 'error',
  DEVO_CONNECT_FAILED: 'error',
  DEVO_CONNECT_TIMEOUT: 'error',
  DEVO_CONNECTION_LOST: 'warn',
  DEVO_CLOSED_AFTER_HANDSHAKE: 'error',
  DEVO_SENDER_CLOSED: 'warn',
  DEVO_PORT_NOT_TLS: 'error',
  SYSLOG_PORT_SPEAKS_TLS: 'error',
  CONSOLE_OUTPUT_CLOSED: 'error',
  POD_HANDSHAKE_400: 'error',
  POD_HANDSHAKE_401: 'error',
  POD_HANDSHAKE_404: 'error',
  POD_HANDSHAKE_409: 'error',
  POD_HANDSHAKE_FAILED: 'error',
  POD_HANDSHAKE_TIMEOUT: 'error',
  POD_CONNECTION_LOST: 'warn',
  POD_PONG_TIMEOUT: 'warn',
  POD_EVENT_TOO_LARGE: 'error',
  STATE_UNREADABLE: 'error',
  STATE_WRITE_FAILED: 'error',
  STATE_DIRECTORY_INSECURE: 'error',
  STATE_DIRECTORY_UNWRITABLE: 'error',
  STATE_DIRECTORY_LOCKED: 'error',
  CASB_INIT_VARIABLES: 'error',
  CASB_SETUP: 'error',
  CASB_RETRY_AFTER: 'warn',
  CASB_REQUEST_FAILED: 'error',
  CASB_REDIRECT_REFUSED: 'error',
  CASB_BAD_RESPONSE: 'error',
  CASB_PAGE_TOKEN_REPEATED: 'warn',
  EVENT_TIME_INVALID: 'error',
  DEDUP_WINDOW_FULL: 'warn',
  UNHANDLED_REJECTION: 'error',
  UNCAUGHT_EXCEPTION: 'error',
} as const satisfies Readonly<Record<string, ProblemLevel>>;

/** A stable error code (see {@link PROBLEMS}). */
export type ErrorCode = keyof typeof PROBLEMS;

/** Every code, in the registry's order. */
export const ERROR_CODES = Object.keys(PROBLEMS) as readonly ErrorCode[];

/** The text of a problem where it is not a log line (a dead letter's reason): `CODE: message`. */
export function problemText(code: ErrorCode, message: string): string {
  return `${code}: ${message}`;
}
