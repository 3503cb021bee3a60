import { expect } from 'chai';
import * as fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { dedupWindow } from '../../lib/operators/dedupWindow';
import { testScheduler } from '../helpers/marbles';

describe('dedupWindow', () => {
  const byValue = (v: string) => v;

  it('completes an empty source', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(dedupWindow({ key: byValue, maxKeys: 10, scheduler: ts }))).toBe('|');
    });
  });

  it('passes a single value', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a|').pipe(dedupWindow({ key: byValue, maxKeys: 10, scheduler: ts }))).toBe('a|');
    });
  });

  it('drops repeated keys within the window and counts them', () => {
    const ts = testScheduler();
    const dedup = dedupWindow({ key: byValue, maxKeys: 10, scheduler: ts });
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a-b-a-c-b-a|').pipe(dedup)).toBe('a-b---c----|');
    });
    expect(dedup.duplicates).to.equal(3);
    expect(dedup.size).to.equal(3);
  });

  it('lets a key through again once its TTL has passed (virtual time)', () => {
    const ts = testScheduler();
    const dedup = dedupWindow({ key: byValue, ttlMs: 10, maxKeys: 10, scheduler: ts });
    ts.run(({ cold, expectObservable }) => {
      // remembered for 10 ms: a@5 is dropped, a@11 and a@22 pass again
      expectObservable(cold('a 4ms a 5ms a 10ms a|').pipe(dedup)).toBe('a 10ms a 10ms a|');
    });
    expect(dedup.duplicates).to.equal(1);
  });

  it('forgets the least recently seen key past maxKeys, and counts the eviction', () => {
    const ts = testScheduler();
    const dedup = dedupWindow({ key: byValue, maxKeys: 2, scheduler: ts });
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abcab|').pipe(dedup)).toBe('abcab|');
    });
    expect(dedup.evicted).to.equal(3);
  });

  it('errors when the key function throws', () => {
    const ts = testScheduler();
    const boom = new Error('no key');
    ts.run(({ cold, expectObservable }) => {
      const key = (v: string) => {
        if (v === 'x') throw boom;
        return v;
      };
      expectObservable(cold('a-x-b|').pipe(dedupWindow({ key, maxKeys: 10, scheduler: ts }))).toBe('a-#', undefined, boom);
    });
  });

  it('forwards errors from the source', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a-#').pipe(dedupWindow({ key: byValue, maxKeys: 10, scheduler: ts }))).toBe('a-#');
    });
  });

  it('unsubscribes from an endless source', () => {
    const ts = testScheduler();
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b-a-c-');
      expectObservable(source.pipe(dedupWindow({ key: byValue, maxKeys: 10, scheduler: ts })), '^----!').toBe('-a-b--');
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('exports only confirmed (delivered) keys, and a restored window drops them', () => {
    const clock = testScheduler();
    clock.frame = 1000;
    const first = dedupWindow({ key: byValue, ttlMs: 100, maxKeys: 10, scheduler: clock });
    const passed: string[] = [];
    from(['a', 'b', 'c']).pipe(first).subscribe((v) => passed.push(v));
    expect(passed).to.deep.equal(['a', 'b', 'c']);
    expect(first.confirm('a')).to.equal(1100);
    clock.frame = 1010;
    expect(first.confirm('c')).to.equal(1100);
    expect(first.confirm('zzz')).to.equal(undefined);
    expect(first.exportState()).to.deep.equal({ version: 1, entries: [['a', 1100], ['c', 1100]] });

    const second = dedupWindow({ key: byValue, ttlMs: 100, maxKeys: 10, scheduler: clock });
    second.restoreState(first.exportState());
    const replayed: string[] = [];
    from(['a', 'b', 'c', 'd']).pipe(second).subscribe((v) => replayed.push(v));
    expect(replayed).to.deep.equal(['b', 'd']);
    expect(second.duplicates).to.equal(2);
  });

  it('skips expired entries on restore', () => {
    const clock = testScheduler();
    clock.frame = 1000;
    const dedup = dedupWindow({ key: byValue, ttlMs: 100, maxKeys: 10, scheduler: clock });
    dedup.restoreState({ version: 1, entries: [['old', 999], ['live', 1050]] });
    expect(dedup.size).to.equal(1);
    expect(dedup.exportState().entries).to.deep.equal([['live', 1050]]);
  });

  it('rejects nonsensical bounds', () => {
    expect(() => dedupWindow({ key: byValue, maxKeys: 0 })).to.throw(RangeError, /maxKeys/);
  });

  it('emits each key once, the first occurrence, in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 3 }), { maxLength: 200 }), async (values) => {
        const dedup = dedupWindow({ key: byValue, maxKeys: 1000 });
        const out = await lastValueFrom(from(values).pipe(dedup, toArray()));
        expect(out).to.deep.equal([...new Set(values)]);
        expect(dedup.duplicates).to.equal(values.length - out.length);
      }),
    );
  });
});
