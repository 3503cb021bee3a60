import { expect } from 'chai';
import { normalizeTime } from '../../lib/operators/normalizeTime';
import { testScheduler } from '../helpers/marbles';

type Ev = { ts?: unknown; id: string };

describe('normalizeTime', () => {
  it('completes an empty source', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Ev>('|').pipe(normalizeTime('ts', () => undefined))).toBe('|');
    });
  });

  it('converts every supported form to UTC epoch ms, keeping the value untouched', () => {
    const values: Record<string, Ev> = {
      a: { id: 'a', ts: '2024-05-22T12:10:03.058340-0700' },
      b: { id: 'b', ts: '2024-05-22T12:10:03.058340-07:00' },
      c: { id: 'c', ts: '2024-05-22T19:10:03.058Z' },
      d: { id: 'd', ts: 1716405003 },
      e: { id: 'e', ts: 1716405003058 },
      f: { id: 'f', ts: '2024-05-22T19:10:03.058340123+00:00' },
    };
    const t = 1716405003058;
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('abcdef|', values).pipe(normalizeTime('ts', () => undefined))).toBe('abcdef|', {
        a: { time: t, value: values['a'] },
        b: { time: t, value: values['b'] },
        c: { time: t, value: values['c'] },
        d: { time: t - 58, value: values['d'] },
        e: { time: t, value: values['e'] },
        f: { time: t, value: values['f'] },
      });
    });
  });

  it('sends unparseable times to the dead letter with the reason, and goes on', () => {
    const dead: Array<[Ev, string]> = [];
    const values: Record<string, Ev> = { a: { id: 'a', ts: 'yesterday' }, b: { id: 'b' }, c: { id: 'c', ts: 0 } };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('abc|', values).pipe(normalizeTime('ts', (v, r) => dead.push([v, r])))).toBe('--c|', {
        c: { time: 0, value: values['c'] },
      });
    });
    expect(dead.map(([v, r]) => [v.id, r])).to.deep.equal([
      ['a', 'ts: not an ISO-8601 time or epoch number: "yesterday"'],
      ['b', 'ts: missing'],
    ]);
  });

  it('errors when the dead letter throws', () => {
    const boom = new Error('disk full');
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<Ev>('a|', { a: { id: 'a', ts: 'bad' } });
      expectObservable(
        source.pipe(
          normalizeTime('ts', () => {
            throw boom;
          }),
        ),
      ).toBe('#', undefined, boom);
    });
  });

  it('forwards errors and unsubscribes from an endless source', () => {
    testScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      expectObservable(cold<Ev>('#').pipe(normalizeTime('ts', () => undefined))).toBe('#');
      const source = hot<Ev>('-a--', { a: { id: 'a', ts: 0 } });
      expectObservable(source.pipe(normalizeTime('ts', () => undefined)), '^-!').toBe('-a', { a: { time: 0, value: { id: 'a', ts: 0 } } });
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });
});
