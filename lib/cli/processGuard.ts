import { describeError } from '../errors/collectorError';
import type { Logger } from '../log/logger';

/**
 * The last guard of a `run` process (the CLI installs it; nothing else touches `process`):
 * - an unhandled promise rejection is logged as `UNHANDLED_REJECTION` with its message, and the
 *   process goes on (Node's default would exit 1 and stop every service for one stray promise);
 * - an uncaught exception is logged as `UNCAUGHT_EXCEPTION` and the process exits 1 (its state
 *   is unknown; what was delivered but not committed is re-sent at the next start, as after a kill).
 * Log lines go through `logger`, so secrets are redacted. Returns the removal of both handlers.
 * Worker threads (`multiprocessing: true`) are not guarded here: a failing worker is logged and
 * restarted by its supervisor.
 *
 * @example
 * const unguard = installProcessGuard(logger, (code) => process.exit(code));
 */
export function installProcessGuard(logger: Logger, exit: (code: number) => void): () => void {
  const onRejection = (reason: unknown) => {
    logger.problem('UNHANDLED_REJECTION', `${describeError(reason)} (the process goes on; please report it)`);
  };
  const onException = (err: unknown) => {
    logger.problem('UNCAUGHT_EXCEPTION', `${describeError(err)}; exiting with 1 (a restart re-sends what was not committed)`);
    exit(1);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
