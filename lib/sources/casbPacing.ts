import Bottleneck from 'bottleneck';

/**
 * The pace of one CASB input: `requestsPerSecond` (one request at a time) and each budget of
 * `requests_limits` as a limiter of its own, chained, so that a request waits for all of them.
 */
export function casbPacing(
  requestsPerSecond: number,
  limits: ReadonlyArray<{ readonly requests: number; readonly periodMs: number }>,
): { limiter: Bottleneck; budgets: Bottleneck[] } {
  const limiter = new Bottleneck({ maxConcurrent: 1, minTime: Math.ceil(1000 / requestsPerSecond) });
  const budgets = limits.map(
    (limit) => new Bottleneck({ reservoir: limit.requests, reservoirRefreshAmount: limit.requests, reservoirRefreshInterval: limit.periodMs }),
  );
  budgets.reduce((previous, budget) => {
    previous.chain(budget);
    return budget;
  }, limiter);
  return { limiter, budgets };
}
