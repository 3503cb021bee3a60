import { CollectorError, describeError } from '../errors/collectorError';
import type { Logger } from './logger';

/**
 * Logs a recurring error (a state directory that cannot be written fails every commit) once, and
 * then at most once per `intervalMs` with how many times it happened meanwhile, so that a problem
 * stays visible without flooding the log. A different error is logged at once.
 *
 * @example
 * const commitErrors = new RepeatedErrorLog(logger);
 * commitErrors.report(err);
 */
export class RepeatedErrorLog {
  private last: string | undefined;
  private lastLoggedAt = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  report(err: unknown): void {
    const text = describeError(err);
    const now = this.now();
    if (text === this.last && now - this.lastLoggedAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    const repeats = text === this.last && this.suppressed > 0 ? ` (${this.suppressed} more time(s) since the last report)` : '';
    if (err instanceof CollectorError) this.logger.problem(err.code, `${err.message}${repeats}`);
    else this.logger.error(`${text}${repeats}`);
    this.last = text;
    this.lastLoggedAt = now;
    this.suppressed = 0;
  }
}
