import { expect } from 'chai';
import { Valve } from '../../lib/flow/valve';
import { gate, gateArrays } from '../../lib/operators/gate';
import { testScheduler } from '../helpers/marbles';

type Ts = ReturnType<typeof testScheduler>;

/** A thenable settled on the test scheduler `ms` after it is made (promises would settle outside virtual time). */
function after(ts: Ts, ms: number, fail?: Error): PromiseLike<void> {
  return {
    then(ok, ko) {
      ts.schedule(() => void (fail === undefined ? ok?.(undefined) : ko?.(fail)), ms);
      return this as never;
    },
  };
}

describe('gate (virtual time)', () => {
  it('completes an empty source and passes every value at once when admit allows', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(gate({ admit: () => undefined }))).toBe('|');
      expectObservable(cold('a-b-c|').pipe(gate({ admit: () => undefined }))).toBe('a-b-c|');
    });
  });

  it('holds a value, and every value after it, until its admission settles; asks about each only in its turn', () => {
    const ts = testScheduler();
    const asked: Array<[string, number]> = [];
    ts.run(({ cold, expectObservable }) => {
      const admit = (v: string) => {
        asked.push([v, ts.now()]);
        return v === 'b' ? after(ts, 5) : undefined;
      };
      expectObservable(cold('a-b-c-d|').pipe(gate({ admit }))).toBe('a 6ms (bcd|)');
    });
    expect(asked).to.deep.equal([
      ['a', 0],
      ['b', 2],
      ['c', 7],
      ['d', 7],
    ]);
  });

  it('holds again when a held value needs its own admission', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab|').pipe(gate({ admit: () => after(ts, 3) }))).toBe('---a--(b|)');
    });
  });

  it('errors when an admission rejects, or admit throws; forwards the source error, dropping what it holds', () => {
    const ts = testScheduler();
    const boom = new Error('boom');
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab|').pipe(gate({ admit: (v) => (v === 'a' ? after(ts, 2, boom) : undefined) }))).toBe('--#', undefined, boom);
      expectObservable(
        cold('ab|').pipe(
          gate({
            admit: (v) => {
              if (v === 'b') throw boom;
              return undefined;
            },
          }),
        ),
      ).toBe('a#', undefined, boom);
      expectObservable(cold('ab#', undefined, boom).pipe(gate({ admit: (v) => (v === 'a' ? after(ts, 5) : undefined) }))).toBe('--#', undefined, boom);
    });
  });

  it('counts what it holds in the valve, and gives it back when the values pass or the subscription ends', () => {
    const ts = testScheduler();
    const valve = new Valve({ maxBytes: 10, maxItems: 100 });
    const held: number[] = [];
    ts.run(({ cold, expectObservable }) => {
      const source = cold('abcd 10ms |');
      const gated = source.pipe(gate({ admit: (v) => (v === 'a' ? after(ts, 5) : undefined), valve, size: () => 4 }));
      ts.schedule(() => held.push(valve.inFlight.items, valve.isOpen ? 1 : 0), 4);
      ts.schedule(() => held.push(valve.inFlight.items), 6);
      expectObservable(gated).toBe('-----(abcd) 3ms |');
    });
    // At 4: a, b, c, d held (16 bytes: closed); at 6: all passed.
    expect(held).to.deep.equal([4, 0, 0]);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab-').pipe(gate({ admit: () => after(ts, 50), valve, size: () => 1 })), '^--!').toBe('---');
    });
    expect(valve.inFlight).to.deep.equal({ bytes: 0, items: 0 });
  });

  it('in arrays (gateArrays): what passes in a turn leaves as one array, the rest of a held turn after the admission', () => {
    const ts = testScheduler();
    const valve = new Valve({ maxBytes: 100, maxItems: 100 });
    const held: number[] = [];
    ts.run(({ cold, expectObservable }) => {
      const v = { x: ['a', 'b', 'c'], y: ['d'], p: ['a'], q: ['b', 'c', 'd'] };
      const gated = cold('x-y|', v).pipe(gateArrays({ admit: (e) => (e === 'b' ? after(ts, 5) : undefined), valve, size: () => 1 }));
      ts.schedule(() => held.push(valve.inFlight.items), 3);
      expectObservable(gated).toBe('p----(q|)', v);
    });
    // b, c and d waited, counted in the valve.
    expect(held).to.deep.equal([3]);
    expect(valve.inFlight).to.deep.equal({ bytes: 0, items: 0 });
  });
});
