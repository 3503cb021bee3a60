import { expect } from 'chai';
import { batchBy, batchByArrays } from '../../lib/operators/batchBy';
import { testScheduler } from '../helpers/marbles';

const size = (v: string) => v.length;

describe('batchBy', () => {
  it('completes an empty source without a batch', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<string>('|').pipe(batchBy({ maxCount: 3, maxBytes: 100, maxDelayMs: 5, size, scheduler: ts }))).toBe('|');
    });
  });

  it('emits a single value after maxDelayMs', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a', { a: 'x' }).pipe(batchBy({ maxCount: 3, maxBytes: 100, maxDelayMs: 5, size, scheduler: ts }))).toBe('5ms b', {
        b: { items: ['x'], bytes: 1 },
      });
    });
  });

  it('emits when maxCount is reached', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abc-d|').pipe(batchBy({ maxCount: 3, maxBytes: 100, maxDelayMs: 50, size, scheduler: ts }))).toBe('--x--(y|)', {
        x: { items: ['a', 'b', 'c'], bytes: 3 },
        y: { items: ['d'], bytes: 1 },
      });
    });
  });

  it('emits before a value would exceed maxBytes; a bigger value goes alone', () => {
    const ts = testScheduler();
    const v = { a: 'aaaa', b: 'bbbb', c: 'cccccccccccc', d: 'd' };
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abc---d|', v).pipe(batchBy({ maxCount: 100, maxBytes: 10, maxDelayMs: 50, size, scheduler: ts }))).toBe('--(xy)-(z|)', {
        x: { items: ['aaaa', 'bbbb'], bytes: 8 },
        y: { items: ['cccccccccccc'], bytes: 12 },
        z: { items: ['d'], bytes: 1 },
      });
    });
  });

  it('starts the delay at the first value of each batch', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a 9ms b 9ms c|').pipe(batchBy({ maxCount: 100, maxBytes: 100, maxDelayMs: 5, size, scheduler: ts }))).toBe(
        '5ms x 9ms y 5ms (z|)',
        { x: { items: ['a'], bytes: 1 }, y: { items: ['b'], bytes: 1 }, z: { items: ['c'], bytes: 1 } },
      );
    });
  });

  it('errors when size throws, and forwards source errors', () => {
    const ts = testScheduler();
    const boom = new Error('size');
    ts.run(({ cold, expectObservable }) => {
      const throwing = () => {
        throw boom;
      };
      expectObservable(cold('a|').pipe(batchBy({ maxCount: 2, maxBytes: 100, maxDelayMs: 5, size: throwing, scheduler: ts }))).toBe('#', undefined, boom);
      expectObservable(cold('a#').pipe(batchBy({ maxCount: 2, maxBytes: 100, maxDelayMs: 5, size, scheduler: ts }))).toBe('-#');
    });
  });

  it('unsubscribes from an endless source and cancels its timer', () => {
    const ts = testScheduler();
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-');
      expectObservable(source.pipe(batchBy({ maxCount: 5, maxBytes: 100, maxDelayMs: 5, size, scheduler: ts })), '^--!').toBe('---');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('rejects nonsensical bounds', () => {
    expect(() => batchBy({ maxCount: 0, maxBytes: 1, maxDelayMs: 1, size })).to.throw(RangeError);
  });

  it('in arrays (batchByArrays): takes each array in order, as if its values came one by one', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const v = { x: ['a', 'b', 'c', 'd'], y: ['e'], n: [] as string[] };
      expectObservable(cold('x-n-y|', v).pipe(batchByArrays({ maxCount: 3, maxBytes: 100, maxDelayMs: 50, size, scheduler: ts }))).toBe('b----(c|)', {
        b: { items: ['a', 'b', 'c'], bytes: 3 },
        c: { items: ['d', 'e'], bytes: 2 },
      });
    });
  });

  it('in arrays: the delay runs from the turn that opened the batch, and an empty array opens none', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const v = { n: [] as string[], x: ['a'], y: ['b'] };
      expectObservable(cold('n-x-y', v).pipe(batchByArrays({ maxCount: 3, maxBytes: 100, maxDelayMs: 5, size, scheduler: ts }))).toBe('-------b', {
        b: { items: ['a', 'b'], bytes: 2 },
      });
    });
  });
});
