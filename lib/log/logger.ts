import { PROBLEMS, type ErrorCode } from '../errors/problems';
import { SecretRedactor } from './secretRedactor';

/** Severity of a log line, as the seeds print it. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

/** A message, or a function that builds it only when the line is written (for costly debug lines). */
export type LogMessage = string | (() => string);

/**
 * The collector's logger. Lines follow the Devo collectors' shape,
 * `2024-08-09T10:48:10.163Z INFO InputProcess::PodPuller(proofpoint_on_demand,12345,message,predefined) -> text`,
 * one line per call, with secrets redacted and line breaks escaped (a vendor string cannot forge a line).
 */
export interface Logger {
  readonly debugEnabled: boolean;
  debug(message: LogMessage): void;
  info(message: LogMessage): void;
  warn(message: LogMessage): void;
  error(message: LogMessage): void;
  /**
   * A coded problem (see `lib/errors/problems.ts`): the line `CODE: message` at the code's level;
   * a service's logger also records it for `/status` and counts it for `/metrics`.
   */
  problem(code: ErrorCode, message: LogMessage): void;
  /** A logger whose lines carry `scope` (e.g. `InputProcess::PodPuller(...)`). */
  child(scope: string): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Print DEBUG lines (the config's `globals.debug`). Default false. */
  readonly debug?: boolean;
  /** Where lines go; default `console.log`. */
  readonly write?: (line: string) => void;
  /** Secrets to mask in every line. */
  readonly redactor?: SecretRedactor;
  /** Clock, for tests. */
  readonly now?: () => number;
  /** Scope of the root logger; default `MainProcess::MainThread`. */
  readonly scope?: string;
}

/**
 * Creates a {@link Logger}.
 *
 * @example
 * const log = createLogger({ debug: true }).child('InputProcess::PodPuller(pod,1,message,predefined)');
 * log.info('Pull Started');
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => console.log(line));
  const redactor = options.redactor ?? new SecretRedactor();
  const now = options.now ?? Date.now;
  const debugEnabled = options.debug ?? false;

  const make = (scope: string): Logger => {
    const emit = (level: LogLevel, message: LogMessage): void => {
      const text = typeof message === 'function' ? message() : message;
      const safe = redactor.redact(text).replace(/\r?\n|\r/g, '\\n');
      write(`${new Date(now()).toISOString()} ${level} ${scope} -> ${safe}`);
    };
    return {
      debugEnabled,
      debug: (m) => {
        if (debugEnabled) emit('DEBUG', m);
      },
      info: (m) => emit('INFO', m),
      warn: (m) => emit('WARNING', m),
      error: (m) => emit('ERROR', m),
      problem: (code, m) => emit(PROBLEMS[code] === 'warn' ? 'WARNING' : 'ERROR', () => `${code}: ${typeof m === 'function' ? m() : m}`),
      child: (childScope) => make(childScope),
    };
  };
  return make(options.scope ?? 'MainProcess::MainThread');
}

/** A logger that writes nothing (for embedding and tests that do not look at logs). */
export const silentLogger: Logger = createLogger({ write: () => undefined });
