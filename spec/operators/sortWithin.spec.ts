import { expect } from 'chai';
import * as fc from 'fast-check';
import { sortWithin, sortWithinArrays } from '../../lib/operators/sortWithin';
import type { Timed } from '../../lib/operators/timed';
import { testScheduler } from '../helpers/marbles';

const at = (time: number, value = String(time)): Timed<string> => ({ time, value });

describe('sortWithin', () => {
  it('completes an empty source', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<Timed<string>>('|').pipe(sortWithin({ maxDelayMs: 5, maxItems: 10, scheduler: ts }))).toBe('|');
    });
  });

  it('holds a single value for maxDelayMs', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a', { a: at(1) }).pipe(sortWithin({ maxDelayMs: 5, maxItems: 10, scheduler: ts }))).toBe('5ms a', {
        a: at(1),
      });
    });
  });

  it('reorders values that arrive out of order within the window', () => {
    const ts = testScheduler();
    const v = { a: at(30), b: at(10), c: at(20), d: at(5) };
    ts.run(({ cold, expectObservable }) => {
      // a is due at 10ms: it leaves with everything held that is not later than it (b, c).
      // d arrives later with an earlier time: the window cannot fix disorder longer than itself.
      expectObservable(cold('abc 12ms d', v).pipe(sortWithin({ maxDelayMs: 10, maxItems: 10, scheduler: ts }))).toBe('10ms (bca) 10ms d', v);
    });
  });

  it('keeps arrival order for equal times', () => {
    const ts = testScheduler();
    const v = { a: at(1, 'first'), b: at(1, 'second'), c: at(0, 'zero') };
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abc|', v).pipe(sortWithin({ maxDelayMs: 10, maxItems: 10, scheduler: ts }))).toBe('---(cab|)', v);
    });
  });

  it('emits the earliest at once when more than maxItems are held', () => {
    const ts = testScheduler();
    const v = { a: at(3), b: at(1), c: at(2), d: at(0) };
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abcd 20ms |', v).pipe(sortWithin({ maxDelayMs: 100, maxItems: 2, scheduler: ts }))).toBe('--bd 20ms (ca|)', v);
    });
  });

  describe('with a byte bound (maxBytes, size)', () => {
    const size = (e: Timed<string>) => e.value.length;
    const sized = (time: number, bytes: number): Timed<string> => ({ time, value: 'x'.repeat(bytes) });

    it('emits the earliest at once while more than maxBytes are held', () => {
      const ts = testScheduler();
      const v = { a: sized(3, 3), b: sized(1, 1), c: sized(2, 2), d: sized(0, 4) };
      ts.run(({ cold, expectObservable }) => {
        // c makes 6 bytes: b and c leave (3 left); d makes 7: d leaves; a waits for the end.
        expectObservable(cold('a 9ms b 9ms c 9ms d 20ms |', v).pipe(sortWithin({ maxDelayMs: 100, maxItems: 10, maxBytes: 4, size, scheduler: ts }))).toBe(
          '20ms (bc) 6ms d 20ms (a|)',
          v,
        );
      });
    });

    it('holds values within the bound as the count bound alone would', () => {
      const ts = testScheduler();
      const v = { a: sized(3, 2), b: sized(1, 2), c: sized(2, 2) };
      ts.run(({ cold, expectObservable }) => {
        expectObservable(cold('abc|', v).pipe(sortWithin({ maxDelayMs: 1000, maxItems: 10, maxBytes: 6, size, scheduler: ts }))).toBe('---(bca|)', v);
      });
    });

    it('lets a value larger than the bound alone pass straight through', () => {
      const ts = testScheduler();
      const v = { a: sized(1, 10) };
      ts.run(({ cold, expectObservable }) => {
        expectObservable(cold('a', v).pipe(sortWithin({ maxDelayMs: 5, maxItems: 10, maxBytes: 4, size, scheduler: ts }))).toBe('a', v);
      });
    });

    it('completes an empty source, and emits one value within the bound after maxDelayMs', () => {
      const ts = testScheduler();
      ts.run(({ cold, expectObservable }) => {
        expectObservable(cold<Timed<string>>('|').pipe(sortWithin({ maxDelayMs: 5, maxItems: 10, maxBytes: 4, size, scheduler: ts }))).toBe('|');
        expectObservable(cold('a', { a: sized(1, 1) }).pipe(sortWithin({ maxDelayMs: 5, maxItems: 10, maxBytes: 4, size, scheduler: ts }))).toBe('5ms a', {
          a: sized(1, 1),
        });
      });
    });

    it('errors when size throws', () => {
      const ts = testScheduler();
      const boom = () => {
        throw new Error('boom');
      };
      ts.run(({ cold, expectObservable }) => {
        expectObservable(cold('-a-b', { a: at(1), b: at(2) }).pipe(sortWithin({ maxDelayMs: 5, maxItems: 10, maxBytes: 4, size: boom, scheduler: ts }))).toBe(
          '-#',
          undefined,
          new Error('boom'),
        );
      });
    });

    it('unsubscribes from an endless source', () => {
      const ts = testScheduler();
      ts.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('-a-b-', { a: sized(2, 1), b: sized(1, 1) });
        expectObservable(source.pipe(sortWithin({ maxDelayMs: 10, maxItems: 10, maxBytes: 4, size, scheduler: ts })), '^---!').toBe('-----');
        expectSubscriptions(source.subscriptions).toBe('^---!');
      });
    });

    it('rejects a bound below 1, or without a size function', () => {
      expect(() => sortWithin({ maxDelayMs: 1, maxItems: 1, maxBytes: 0, size })).to.throw(RangeError);
      expect(() => sortWithin<string>({ maxDelayMs: 1, maxItems: 1, maxBytes: 10 })).to.throw(RangeError, /size/);
    });
  });

  it('flushes everything held, in order, on complete', () => {
    const ts = testScheduler();
    const v = { a: at(3), b: at(1), c: at(2) };
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abc|', v).pipe(sortWithin({ maxDelayMs: 1000, maxItems: 10, scheduler: ts }))).toBe('---(bca|)', v);
    });
  });

  it('emits everything held, in order, when flush$ emits', () => {
    const ts = testScheduler();
    const v = { a: at(3), b: at(1), c: at(2), d: at(0) };
    ts.run(({ cold, hot, expectObservable }) => {
      const flush$ = hot('--f');
      expectObservable(cold('ab-----cd|', v).pipe(sortWithin({ maxDelayMs: 1000, maxItems: 10, flush$, scheduler: ts }))).toBe('--(ba)---(dc|)', v);
    });
  });

  it('forwards errors at once', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a#', { a: at(1) }).pipe(sortWithin({ maxDelayMs: 10, maxItems: 10, scheduler: ts }))).toBe('-#');
    });
  });

  it('unsubscribes from an endless source and cancels its timer', () => {
    const ts = testScheduler();
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b-', { a: at(2), b: at(1) });
      expectObservable(source.pipe(sortWithin({ maxDelayMs: 10, maxItems: 10, scheduler: ts })), '^---!').toBe('-----');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('outputs a sorted permutation when disorder stays within the window (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 9 })), { maxLength: 100 }), (items) => {
        // Each item arrives at its time plus a delay of 0-9 ms: disorder is bounded by 9 ms.
        const ts = testScheduler();
        const arrivals = items.map(([time, delay], i) => ({ time, arrival: time + delay, id: i })).sort((a, b) => a.arrival - b.arrival || a.id - b.id);
        const out: Array<Timed<string>> = [];
        ts.run(({ cold }) => {
          const marbles: string[] = [];
          const values: Record<string, Timed<string>> = {};
          let clock = 0;
          arrivals.forEach((a, i) => {
            const key = String.fromCharCode(0x100 + i);
            values[key] = at(a.time, String(a.id));
            if (a.arrival > clock) marbles.push(`${a.arrival - clock}ms`);
            clock = Math.max(clock, a.arrival);
            marbles.push(key);
            clock += 1;
          });
          cold(`${marbles.join(' ')} |`, values)
            .pipe(sortWithin({ maxDelayMs: 20, maxItems: 1000, scheduler: ts }))
            .subscribe((v) => out.push(v));
        });
        expect(out.map((v) => v.value).sort()).to.deep.equal(arrivals.map((a) => String(a.id)).sort());
        const times = out.map((v) => v.time);
        expect(times).to.deep.equal([...times].sort((a, b) => a - b));
      }),
    );
  });

  it('flushes any disorder (far out of order included) as a stable sort by time on complete (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300, size: 'max' }), fc.integer({ min: 1, max: 400 }), (times, maxItems) => {
        const out: Array<Timed<string>> = [];
        const ts = testScheduler();
        ts.run(({ cold }) => {
          const values: Record<string, Timed<string>> = {};
          const keys = times.map((time, i) => {
            const key = String.fromCharCode(0x100 + i);
            values[key] = at(time, String(i));
            return key;
          });
          cold(`(${keys.join('')}|)`, values)
            .pipe(sortWithin({ maxDelayMs: 1000, maxItems, scheduler: ts }))
            .subscribe((v) => out.push(v));
        });
        // Past maxItems the earliest held leaves at once, so the output is sorted only when all fit.
        expect(out.map((v) => v.value).sort()).to.deep.equal(times.map((_, i) => String(i)).sort());
        if (times.length <= maxItems) {
          const expected = times.map((time, i) => ({ time, i })).sort((a, b) => a.time - b.time || a.i - b.i);
          expect(out.map((v) => v.value)).to.deep.equal(expected.map((e) => String(e.i)));
        }
      }),
    );
  });

  it('rejects nonsensical bounds', () => {
    expect(() => sortWithin({ maxDelayMs: 1, maxItems: 0 })).to.throw(RangeError);
  });

  describe('in arrays (sortWithinArrays)', () => {
    it('takes one array a turn and gives what the turn released as one array, in order across arrays', () => {
      const ts = testScheduler();
      ts.run(({ cold, expectObservable }) => {
        const v = { x: [at(30), at(10)], y: [at(20), at(5)], a: [at(5)], b: [at(10), at(20), at(30)] };
        // maxItems 3: the fourth value makes the earliest (y's 5) leave at once, as that turn's array; x's 30 is due at 10 ms.
        expectObservable(cold('x-y', v).pipe(sortWithinArrays({ maxDelayMs: 10, maxItems: 3, scheduler: ts }))).toBe('--a 7ms b', v);
      });
    });

    it('never emits an empty array, and flushes everything held as one array on complete', () => {
      const ts = testScheduler();
      ts.run(({ cold, expectObservable }) => {
        const v = { e: [] as Array<Timed<string>>, x: [at(2), at(1)], f: [at(1), at(2)] };
        expectObservable(cold('e-x-e|', v).pipe(sortWithinArrays({ maxDelayMs: 10, maxItems: 10, scheduler: ts }))).toBe('-----(f|)', v);
      });
    });
  });
});
