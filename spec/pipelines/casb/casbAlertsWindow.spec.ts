import { expect } from 'chai';
import { alertsNextState, alertsPage, alertsStart, alertsWindow } from '../../../pipelines/casb/casbAlertsWindow';
import type { CasbAlertsState } from '../../../pipelines/casb/casbState';

const T0 = Date.UTC(2024, 0, 1);
const NOW = Date.UTC(2024, 0, 2);
const state = (last: string, ids: string[] = []): CasbAlertsState => ({
  initial_start_time_in_utc: '2024-01-01T00:00:00Z',
  last_event_time_in_utc: last,
  last_ids: ids,
});
const alert = (id: string, timestamp: number) => ({ id, timestamp });

describe('alertsWindow', () => {
  // [case, state, expected from, expected ids delivered at from]
  const cases: Array<[string, CasbAlertsState, number, string[]]> = [
    ['from the persisted cursor, with its ids', state('2024-01-01T00:00:00Z', ['a']), T0, ['a']],
    ['a cursor in the future is pulled back to the pull, its ids dropped', state('2099-01-01T00:00:00Z', ['x']), NOW, []],
    ['a cursor exactly at the pull keeps its ids', state('2024-01-02T00:00:00Z', ['y']), NOW, ['y']],
  ];
  for (const [what, s, from, ids] of cases) {
    it(what, () => {
      const w = alertsWindow(s, NOW);
      expect(w.from).to.equal(from);
      expect(w.to).to.equal(NOW);
      expect([...w.sentAtStart]).to.deep.equal(ids);
    });
  }
});

describe('alertsPage', () => {
  const window = alertsWindow(state('2024-01-01T00:00:00Z', ['a']), NOW);

  it('skips the alerts the previous window delivered at its start, and keeps the same time for others', () => {
    const page = alertsPage(window, alertsStart(window), [alert('a', T0), alert('b', T0)]);
    expect(page.records).to.deep.equal([alert('b', T0)]);
    expect(page.skipped).to.equal(1);
    expect(page.progress).to.deep.equal({ latest: T0, idsAtLatest: new Set(['a', 'b']) });
  });

  it('moves to the latest time and the ids at it, across pages (newest first)', () => {
    const first = alertsPage(window, alertsStart(window), [alert('c', T0 + 20), alert('d', T0 + 20), alert('e', T0 + 10)]);
    const second = alertsPage(window, first.progress, [alert('f', T0 + 5)]);
    expect(second.progress).to.deep.equal({ latest: T0 + 20, idsAtLatest: new Set(['c', 'd']) });
  });

  it('counts a future alert at the window end only: the cursor never passes the pull', () => {
    const page = alertsPage(window, alertsStart(window), [alert('future', Date.UTC(2099, 0, 1)), alert('g', T0 + 1)]);
    expect(page.records).to.have.length(2);
    expect(page.progress).to.deep.equal({ latest: NOW, idsAtLatest: new Set(['future']) });
    expect(alertsNextState(state('2024-01-01T00:00:00Z'), page.progress)).to.deep.equal({
      initial_start_time_in_utc: '2024-01-01T00:00:00Z',
      last_event_time_in_utc: '2024-01-02T00:00:00Z',
      last_ids: ['future'],
    });
  });

  it('keeps records without a usable id or time (the pipeline dead-letters them) without moving the cursor', () => {
    const page = alertsPage(window, alertsStart(window), [{ id: 'h' }, 'junk', alert('i', T0 + 3)]);
    expect(page.records).to.have.length(3);
    expect(page.progress.latest).to.equal(T0 + 3);
  });
});
