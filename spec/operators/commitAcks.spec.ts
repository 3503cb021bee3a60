import { expect } from 'chai';
import { type Observable } from 'rxjs';
import { commitAcks, type CommitReason } from '../../lib/operators/commitAcks';
import { testScheduler } from '../helpers/marbles';

/** A cursor that records, for each write, when it started (virtual ms), why, and the cursor it wrote. */
function recorder(ts: ReturnType<typeof testScheduler>, write: (reason: CommitReason) => Observable<unknown>) {
  let cursor = '';
  const writes: Array<[number, CommitReason, string]> = [];
  return {
    writes,
    options: {
      apply: (ack: string) => (cursor = ack),
      persist: (reason: CommitReason) => {
        writes.push([ts.now(), reason, cursor]);
        return write(reason);
      },
      onError: () => undefined,
      scheduler: ts,
    },
  };
}

describe('commitAcks (virtual time)', () => {
  it('passes acks through and completes an empty source after one last write', () => {
    const ts = testScheduler();
    const r = recorder(ts, () => ts.createColdObservable('--|'));
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(commitAcks({ ...r.options, intervalMs: 10 }))).toBe('--|');
    });
    expect(r.writes).to.deep.equal([[0, 'complete', '']]);
  });

  it('writes at once, then at most once per interval, one write at a time, and once more on complete', () => {
    const ts = testScheduler();
    const r = recorder(ts, () => ts.createColdObservable('--|'));
    ts.run(({ cold, expectObservable }) => {
      // a@0 writes at once; b@1, c@2 wait for the interval (10); d@20 writes at once; the source ends at 21.
      expectObservable(cold('abc 17ms d|').pipe(commitAcks({ ...r.options, intervalMs: 10 }))).toBe('abc 17ms d 3ms |');
    });
    // The write started at 20 runs until 22; the last one starts then and ends at 24.
    expect(r.writes).to.deep.equal([
      [0, 'commit', 'a'],
      [10, 'commit', 'c'],
      [20, 'commit', 'd'],
      [22, 'complete', 'd'],
    ]);
  });

  it('waits for a slow write before the next, even past the interval', () => {
    const ts = testScheduler();
    const r = recorder(ts, () => ts.createColdObservable('-----|'));
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab 10ms -').pipe(commitAcks({ ...r.options, intervalMs: 2 }))).toBe('ab 10ms -');
    });
    expect(r.writes).to.deep.equal([
      [0, 'commit', 'a'],
      [5, 'commit', 'b'],
    ]);
  });

  it('writes the cursor once more on error, then forwards the error', () => {
    const ts = testScheduler();
    const r = recorder(ts, () => ts.createColdObservable('-|'));
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a-#', undefined, new Error('source broke')).pipe(commitAcks({ ...r.options, intervalMs: 100 }))).toBe(
        'a--#',
        undefined,
        new Error('source broke'),
      );
    });
    expect(r.writes.map(([, reason, cursor]) => [reason, cursor])).to.deep.equal([
      ['commit', 'a'],
      ['error', 'a'],
    ]);
  });

  it('reports a failing write and keeps going', () => {
    const ts = testScheduler();
    const errors: unknown[] = [];
    let attempts = 0;
    const r = recorder(ts, () => (++attempts === 1 ? ts.createColdObservable('-#', undefined, new Error('disk full')) : ts.createColdObservable('-|')));
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a--b|').pipe(commitAcks({ ...r.options, onError: (e) => errors.push(e), intervalMs: 1 }))).toBe('a--b-|');
    });
    expect(errors.map((e) => (e as Error).message)).to.deep.equal(['disk full']);
    expect(r.writes.map(([at, reason]) => [at, reason])).to.deep.equal([
      [0, 'commit'],
      [3, 'commit'],
      [4, 'complete'],
    ]);
  });

  it('errors when apply throws', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const options = {
        apply: () => {
          throw new Error('bad ack');
        },
        persist: () => cold('|'),
        intervalMs: 1,
        onError: () => undefined,
        scheduler: ts,
      };
      expectObservable(cold('a').pipe(commitAcks(options))).toBe('#', undefined, new Error('bad ack'));
    });
  });

  it('unsubscribes from an endless source and cancels its pending timer', () => {
    const ts = testScheduler();
    const r = recorder(ts, () => ts.createColdObservable('|'));
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const acks = hot('ab-c-');
      expectObservable(acks.pipe(commitAcks({ ...r.options, intervalMs: 50 })), '^--!').toBe('ab-');
      expectSubscriptions(acks.subscriptions).toBe('^--!');
    });
    // b was applied but its write was due at 50: unsubscribed at 3, it never happens.
    expect(r.writes).to.deep.equal([[0, 'commit', 'a']]);
  });
});
