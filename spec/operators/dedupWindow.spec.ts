import { expect } from 'chai';
import * as fc from 'fast-check';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { DEDUP_ENTRY_BYTES, dedupStoredKey, dedupWindow } from '../../lib/operators/dedupWindow';
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
    const dropped: string[] = [];
    const dedup = dedupWindow({ key: byValue, maxKeys: 10, scheduler: ts, onDuplicate: (v) => dropped.push(v) });
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a-b-a-c-b-a|').pipe(dedup)).toBe('a-b---c----|');
    });
    expect(dropped).to.deep.equal(['a', 'b', 'a']);
    expect(dedup.size).to.equal(3);
  });

  it('lets a key through again once its TTL has passed (virtual time)', () => {
    const ts = testScheduler();
    let dropped = 0;
    const dedup = dedupWindow({ key: byValue, ttlMs: 10, maxKeys: 10, scheduler: ts, onDuplicate: () => dropped++ });
    ts.run(({ cold, expectObservable }) => {
      // remembered for 10 ms: a@5 is dropped, a@11 and a@22 pass again
      expectObservable(cold('a 4ms a 5ms a 10ms a|').pipe(dedup)).toBe('a 10ms a 10ms a|');
    });
    expect(dropped).to.equal(1);
  });

  it('forgets the least recently seen key past maxKeys, and reports each live key forgotten early with its age', () => {
    const ts = testScheduler();
    const ages: number[] = [];
    const dedup = dedupWindow({ key: byValue, maxKeys: 2, ttlMs: 100, scheduler: ts, onEarlyForget: (age) => ages.push(age) });
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abcab|').pipe(dedup)).toBe('abcab|');
    });
    expect(ages).to.deep.equal([2, 2, 2]);
  });

  it('does not report keys whose hour was over when a bound pushed them out', () => {
    const ts = testScheduler();
    const ages: number[] = [];
    const dedup = dedupWindow({ key: byValue, maxKeys: 2, ttlMs: 10, scheduler: ts, onEarlyForget: (age) => ages.push(age) });
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab 20ms c|').pipe(dedup)).toBe('ab 20ms c|');
    });
    expect(ages).to.deep.equal([]);
  });

  it('bounds its memory whatever the key size: long keys are remembered (and persisted) as digests', () => {
    const clock = testScheduler();
    clock.frame = 1000;
    const dedup = dedupWindow<string>({ key: byValue, ttlMs: 100, maxBytes: 1024 * 1024, scheduler: clock });
    const huge = (i: number) => `${i}:${'g'.repeat(200 * 1024)}`;
    const passed: string[] = [];
    from([huge(1), huge(2), huge(1), 'short'])
      .pipe(dedup)
      .subscribe((v) => passed.push(v.slice(0, 2)));
    expect(passed).to.deep.equal(['1:', '2:', 'sh']);
    // 200 KiB keys cost what a 50-character digest does.
    expect(dedup.bytes).to.equal(3 * DEDUP_ENTRY_BYTES + 2 * 50 + 'short'.length);
    const entry = dedup.confirm(huge(2))!;
    expect(entry[0])
      .to.equal(dedupStoredKey(huge(2)))
      .and.match(/^sha256:[A-Za-z0-9_-]{43}$/);
    const restored = dedupWindow<string>({ key: byValue, ttlMs: 100, maxBytes: 1024 * 1024, scheduler: clock });
    restored.restoreState(dedup.exportState());
    // A raw long key from an older journal is digested on restore too.
    restored.restore(huge(3), 1100);
    const replayed: string[] = [];
    from([huge(2), huge(3), huge(1)])
      .pipe(restored)
      .subscribe((v) => replayed.push(v.slice(0, 2)));
    expect(replayed).to.deep.equal(['1:']);
  });

  it('by default holds far more than the old 300 000-key bound: 400 000 keys, none forgotten', () => {
    let forgotten = 0;
    const dedup = dedupWindow({ key: byValue, onEarlyForget: () => forgotten++ });
    const keys = Array.from({ length: 400_000 }, (_, i) => `K6JTh8Fn7Fj1x0BqQ2cUv1R0nY5d${String(i).padStart(8, '0')}`);
    from(keys).pipe(dedup).subscribe();
    expect(dedup.size).to.equal(400_000);
    expect(forgotten).to.equal(0);
    // And its 256 MiB hold an hour of 340 events/s of such keys.
    expect(Math.floor((256 * 1024 * 1024) / (DEDUP_ENTRY_BYTES + 36))).to.be.at.least(340 * 3600);
  });

  for (const expectedKeys of [0, 1_000]) {
    it(`forgets the oldest keys past maxBytes${expectedKeys > 0 ? ', also when sized at once for a big restore (expectedKeys)' : ''}`, () => {
      const ts = testScheduler();
      let forgotten = 0;
      const dedup = dedupWindow({ key: byValue, maxBytes: 3 * (DEDUP_ENTRY_BYTES + 1), expectedKeys, scheduler: ts, onEarlyForget: () => forgotten++ });
      ts.run(({ cold, expectObservable }) => {
        expectObservable(cold('abcdab|').pipe(dedup)).toBe('abcdab|');
      });
      expect(dedup.size).to.equal(3);
      expect(forgotten).to.equal(3);
    });
  }

  it('sized at once for a big restore, still bounded by bytes when keys are long', () => {
    const maxBytes = 100 * (DEDUP_ENTRY_BYTES + 1);
    let forgotten = 0;
    const dedup = dedupWindow({ key: byValue, maxBytes, expectedKeys: 100, onEarlyForget: () => forgotten++ });
    from(Array.from({ length: 300 }, (_, i) => `${'k'.repeat(200)}${i}`))
      .pipe(dedup)
      .subscribe();
    expect(dedup.bytes).to.be.at.most(maxBytes);
    expect(dedup.size).to.be.below(100);
    expect(dedup.size + forgotten).to.equal(300);
  });

  it('forgets a passed key that was not delivered, so that a corrected re-send passes; keeps a delivered one', () => {
    const dedup = dedupWindow({ key: byValue, maxKeys: 10 });
    const passed: string[] = [];
    const input = new Subject<string>();
    input.pipe(dedup).subscribe((v) => passed.push(v));
    input.next('a');
    input.next('b');
    dedup.forget('a'); // dead-lettered further down
    dedup.confirm('b');
    dedup.forget('b'); // delivered: stays
    input.next('a');
    input.next('b');
    expect(passed).to.deep.equal(['a', 'b', 'a']);
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
    from(['a', 'b', 'c'])
      .pipe(first)
      .subscribe((v) => passed.push(v));
    expect(passed).to.deep.equal(['a', 'b', 'c']);
    expect(first.confirm('a')).to.deep.equal(['a', 1100]);
    clock.frame = 1010;
    expect(first.confirm('c')).to.deep.equal(['c', 1100]);
    expect(first.confirm('zzz')).to.equal(undefined);
    // Confirmed once: a second acknowledgement (a record flattened into several lines) persists nothing more.
    expect(first.confirm('a')).to.equal(undefined);
    expect(first.exportState()).to.deep.equal({
      version: 1,
      entries: [
        ['a', 1100],
        ['c', 1100],
      ],
    });

    const dropped: string[] = [];
    const second = dedupWindow({ key: byValue, ttlMs: 100, maxKeys: 10, scheduler: clock, onDuplicate: (v) => dropped.push(v) });
    second.restoreState(first.exportState());
    const replayed: string[] = [];
    from(['a', 'b', 'c', 'd'])
      .pipe(second)
      .subscribe((v) => replayed.push(v));
    expect(replayed).to.deep.equal(['b', 'd']);
    expect(dropped).to.deep.equal(['a', 'c']);
  });

  it('skips expired entries on restore', () => {
    const clock = testScheduler();
    clock.frame = 1000;
    const dedup = dedupWindow({ key: byValue, ttlMs: 100, maxKeys: 10, scheduler: clock });
    dedup.restoreState({
      version: 1,
      entries: [
        ['old', 999],
        ['live', 1050],
      ],
    });
    expect(dedup.size).to.equal(1);
    expect(dedup.exportState().entries).to.deep.equal([['live', 1050]]);
  });

  it('rejects nonsensical bounds', () => {
    expect(() => dedupWindow({ key: byValue, maxKeys: 0 })).to.throw(RangeError, /maxKeys/);
    expect(() => dedupWindow({ key: byValue, maxBytes: 10 })).to.throw(RangeError, /maxBytes/);
  });

  it('emits each key once, the first occurrence, in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 3 }), { maxLength: 200 }), async (values) => {
        let dropped = 0;
        const dedup = dedupWindow({ key: byValue, maxKeys: 1000, onDuplicate: () => dropped++ });
        const out = await lastValueFrom(from(values).pipe(dedup, toArray()));
        expect(out).to.deep.equal([...new Set(values)]);
        expect(dropped).to.equal(values.length - out.length);
      }),
    );
  });
});
