import { expect } from 'chai';
import { flatten, flattenRecord, type JsonObject } from '../../lib/operators/flatten';
import type { Timed } from '../../lib/operators/timed';
import { testScheduler } from '../helpers/marbles';

describe('flatten', () => {
  it('gives one record per child, with the parent fields, the child, its index and the count', () => {
    const parent = { id: 'a1', timestamp: 5, related_events: [{ e: 1 }, { e: 2 }, { e: 3 }], severity: 'high' };
    expect(flattenRecord(parent, 'related_events')).to.deep.equal([
      { id: 'a1', timestamp: 5, related_events: { e: 1 }, severity: 'high', related_events_index: 0, related_events_count: 3 },
      { id: 'a1', timestamp: 5, related_events: { e: 2 }, severity: 'high', related_events_index: 1, related_events_count: 3 },
      { id: 'a1', timestamp: 5, related_events: { e: 3 }, severity: 'high', related_events_index: 2, related_events_count: 3 },
    ]);
    // Key order matters for byte-stable output: the field keeps its place, index and count follow.
    expect(Object.keys(flattenRecord(parent, 'related_events')[0]!)).to.deep.equal([
      'id',
      'timestamp',
      'related_events',
      'severity',
      'related_events_index',
      'related_events_count',
    ]);
  });

  it('gives the parent once, unchanged, when the field is missing, null, empty or not a list', () => {
    for (const parent of [{ id: 1 }, { id: 1, f: null }, { id: 1, f: [] }, { id: 1, f: { x: 1 } }]) {
      const out = flattenRecord(parent, 'f');
      expect(out).to.have.length(1);
      expect(out[0]).to.equal(parent);
    }
  });

  it('does not let a __proto__ key of the vendor pollute anything', () => {
    const parent = JSON.parse('{"__proto__":{"polluted":true},"f":[1]}') as Record<string, unknown>;
    const [record] = flattenRecord(parent, 'f');
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
    expect(Object.prototype.hasOwnProperty.call(record, '__proto__')).to.equal(true);
  });

  it('is an operator that keeps the parent time on every record, and completes with the source', () => {
    const p = { time: 7, value: { id: 'x', f: ['a', 'b'] } };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('p----q|', { p, q: { time: 8, value: { id: 'y' } } }).pipe(flatten('f'))).toBe('(ab)-q|', {
        a: { time: 7, value: { id: 'x', f: 'a', f_index: 0, f_count: 2 } },
        b: { time: 7, value: { id: 'x', f: 'b', f_index: 1, f_count: 2 } },
        q: { time: 8, value: { id: 'y' } },
      });
    });
  });

  it('forwards errors and unsubscribes from an endless source', () => {
    testScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      expectObservable(cold<Timed<JsonObject>>('#').pipe(flatten('f'))).toBe('#');
      const source = hot('-p-', { p: { time: 1, value: { id: 'x' } } });
      expectObservable(source.pipe(flatten('f')), '^-!').toBe('-p', { p: { time: 1, value: { id: 'x' } } });
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });
});
