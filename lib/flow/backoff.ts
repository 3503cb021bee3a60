/** A capped exponential backoff: `initialMs`, doubled per attempt, at most `maxMs`. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * The wait before attempt `attempt + 1` after `attempt` consecutive failures (1 = the first):
 * `initialMs · 2^(attempt-1)`, at most `maxMs`. With `random`, "equal jitter": a uniform pick
 * in the upper half of that wait, so that many clients failing together do not retry together.
 *
 * @example
 * backoffDelay({ initialMs: 1000, maxMs: 60_000 }, 3); // 4000
 */
export function backoffDelay(backoff: Backoff, attempt: number, random?: () => number): number {
  // The exponent is capped before it overflows; past it, maxMs holds anyway.
  const exp = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return random === undefined ? exp : Math.round(exp / 2 + (exp / 2) * random());
}

/** How the collector restarts a failed service or worker: 1 s, doubling, at most 60 s. */
export const RESTART_BACKOFF: Backoff = { initialMs: 1000, maxMs: 60_000 };
