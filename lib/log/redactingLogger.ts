import type { LogMessage, Logger } from './logger';
import type { SecretRedactor } from './secretRedactor';

/**
 * A {@link Logger} that redacts every message with `redactor` before handing it to `logger`: for a
 * component that learns secrets at run time (the CASB client's `auth_token`), which the
 * logger's own redactor, built from the config, cannot know. Lazy messages stay lazy; children
 * redact too.
 *
 * @example
 * const redactor = new SecretRedactor([apiKey]);
 * const log = redactingLogger(logger, redactor);
 * redactor.add(token); // from now on, masked in every line of `log`
 */
export function redactingLogger(logger: Logger, redactor: SecretRedactor): Logger {
  const redacted =
    (message: LogMessage): LogMessage =>
    () =>
      redactor.redact(typeof message === 'function' ? message() : message);
  return {
    debugEnabled: logger.debugEnabled,
    debug: (m) => logger.debug(redacted(m)),
    info: (m) => logger.info(redacted(m)),
    warn: (m) => logger.warn(redacted(m)),
    error: (m) => logger.error(redacted(m)),
    problem: (code, m) => logger.problem(code, redacted(m)),
    child: (scope) => redactingLogger(logger.child(scope), redactor),
  };
}
