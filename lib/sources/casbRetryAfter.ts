import type { AxiosError } from 'axios';
import { retryAfter } from 'axios-retry';
import type { Logger } from '../log/logger';
import { RetryAfterError } from './casbErrors';

/**
 * How long a 429 makes the CASB client wait: its `Retry-After` (seconds or an HTTP date, read by
 * axios-retry) capped at `maxMs`, or `computed` (the client's backoff) when the header is missing,
 * empty or unreadable (`CASB_RETRY_AFTER`, logged). Logs the pause.
 */
export function retryAfterDelay(error: AxiosError, computed: number, maxMs: number, logger: Logger): number {
  const header = error.response?.headers['retry-after'] as unknown;
  const told = retryAfter(error);
  let delay = computed;
  let capped = '';
  if (header === undefined || header === null)
    logger.problem('CASB_RETRY_AFTER', `${new RetryAfterError('missing').message}; waiting ${(computed / 1000).toFixed(3)} s`);
  else if (String(header).trim() === '')
    logger.problem('CASB_RETRY_AFTER', `${new RetryAfterError('empty').message}; waiting ${(computed / 1000).toFixed(3)} s`);
  else if (told > 0 || /^\s*0+\s*$/.test(String(header))) {
    // Capped: past 2^31 ms both timers (axios-retry's and the client's gate) would fire at once.
    delay = Math.min(told, maxMs);
    if (told > delay) capped = ` (Retry-After asked for ${(told / 1000).toFixed(3)} s; capped at ${maxMs / 1000} s)`;
  } else logger.problem('CASB_RETRY_AFTER', `${new RetryAfterError('invalid', String(header)).message}; waiting ${(computed / 1000).toFixed(3)} s`);
  logger.warn(`429 Too Many Requests: pausing every request of this input for ${(delay / 1000).toFixed(3)} s${capped}`);
  return delay;
}
