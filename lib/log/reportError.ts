import { CollectorError, errorMessage } from '../errors/collectorError';
import type { Logger } from './logger';

/**
 * Logs a caught error as what it is: a {@link CollectorError} as its typed problem (`CODE: message`
 * at the code's level, recorded by a service's logger), anything else as an error line. `suffix`
 * says what happens next (`. Retrying in 5 s`).
 */
export function reportError(logger: Logger, err: unknown, suffix = ''): void {
  if (err instanceof CollectorError) logger.problem(err.code, `${err.message}${suffix}`);
  else logger.error(`${errorMessage(err)}${suffix}`);
}
