import { expect } from 'chai';
import { eventsNextState, eventsStartTime } from '../../../pipelines/casb/casbEventsCursor';
import type { CasbEventsState } from '../../../pipelines/casb/casbState';

const NOW = Date.UTC(2024, 5, 2);
const state = (start: string, token: string | null = null): CasbEventsState => ({
  initial_start_time_in_utc: '2024-01-01T00:00:00Z',
  start_time_in_utc: start,
  last_page_token: token,
});
const at = (timestamp: string) => ({ timestamp });

describe('eventsStartTime', () => {
  it('is the persisted start time, never after the pull', () => {
    expect(eventsStartTime(state('2024-06-01T00:00:00Z'), NOW)).to.equal(Date.UTC(2024, 5, 1));
    expect(eventsStartTime(state('2099-01-01T00:00:00Z'), NOW)).to.equal(NOW);
  });
});

describe('eventsNextState', () => {
  // [case, state, events, next token, expected start_time_in_utc, expected token]
  const cases: Array<[string, CasbEventsState, unknown[], string | undefined, string, string | null]> = [
    [
      'moves to the latest event and takes the next token',
      state('2024-06-01T00:00:00Z', 't0'),
      [at('2024-06-01T10:00:00.000Z'), at('2024-06-01T09:00:00.000Z')],
      't1',
      '2024-06-01T10:00:00Z',
      't1',
    ],
    ['keeps the token when the page has none (caught up)', state('2024-06-01T00:00:00Z', 't0'), [], undefined, '2024-06-01T00:00:00Z', 't0'],
    [
      'an event after the pull does not move it',
      state('2024-06-01T00:00:00Z'),
      [at('2099-01-01T00:00:00.000Z'), at('2024-06-01T10:00:00.000Z')],
      't1',
      '2024-06-01T10:00:00Z',
      't1',
    ],
    ['a persisted start in the future comes back to the pull', state('2099-01-01T00:00:00Z'), [], 't1', '2024-06-02T00:00:00Z', 't1'],
    ['records without a time are ignored', state('2024-06-01T00:00:00Z'), [{}, 'junk', at('nonsense')], 't1', '2024-06-01T00:00:00Z', 't1'],
  ];
  for (const [what, s, events, token, start, nextToken] of cases) {
    it(what, () => {
      expect(eventsNextState(s, events, token, NOW)).to.deep.equal({
        initial_start_time_in_utc: '2024-01-01T00:00:00Z',
        start_time_in_utc: start,
        last_page_token: nextToken,
      });
    });
  }
});
