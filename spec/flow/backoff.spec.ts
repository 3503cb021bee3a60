import { expect } from 'chai';
import { backoffDelay, RESTART_BACKOFF } from '../../lib/flow/backoff';

describe('backoffDelay', () => {
  it('doubles from initialMs per attempt up to maxMs; attempt 0 or 1 waits initialMs', () => {
    const table: ReadonlyArray<[number, number]> = [
      [0, 1000],
      [1, 1000],
      [2, 2000],
      [3, 4000],
      [6, 32_000],
      [7, 60_000],
      [10_000, 60_000],
    ];
    for (const [attempt, wait] of table) expect(backoffDelay(RESTART_BACKOFF, attempt), `attempt ${attempt}`).to.equal(wait);
  });

  it('with random, picks in the upper half of the wait (equal jitter)', () => {
    expect(backoffDelay({ initialMs: 500, maxMs: 30_000 }, 3, () => 0)).to.equal(1000);
    expect(backoffDelay({ initialMs: 500, maxMs: 30_000 }, 3, () => 0.5)).to.equal(1500);
    expect(backoffDelay({ initialMs: 500, maxMs: 30_000 }, 3, () => 1)).to.equal(2000);
    expect(backoffDelay({ initialMs: 500, maxMs: 30_000 }, 100, () => 1)).to.equal(30_000);
  });
});
