import { expect } from 'chai';
import { concatWith, from, throwError } from 'rxjs';
import { flatten, flattenRecord, type JsonObject } from '../../lib/operators/flatten';
import type { Timed } from '../../lib/operators/timed';
import { Valve } from '../../lib/flow/valve';
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

  it('with a valve, makes records only while it is open: the rest wait, then follow in order, and it completes after the last', () => {
    const valve = new Valve({ maxBytes: 1000, maxItems: 2 });
    const out: unknown[] = [];
    let completed = false;
    const parents: Array<Timed<JsonObject>> = [
      { time: 1, value: { id: 'x', f: [0, 1, 2, 3, 4] } },
      { time: 2, value: { id: 'y' } },
    ];
    // The sink takes each record into the valve, as devoWrite does, and releases it once written.
    const subscription = from(parents)
      .pipe(flatten('f', { valve }))
      .subscribe({
        next: (r) => {
          valve.acquire(1, 1);
          out.push(r.value['f_index'] ?? r.value['id']);
        },
        complete: () => (completed = true),
      });
    expect(out, 'until the valve closes').to.deep.equal([0, 1]);
    expect(completed).to.equal(false);
    valve.release(2, 2);
    expect(out).to.deep.equal([0, 1, 2, 3]);
    valve.release(2, 2);
    expect(out).to.deep.equal([0, 1, 2, 3, 4, 'y']);
    expect(completed, 'records still to come').to.equal(false);
    valve.release(2, 2);
    expect(completed).to.equal(true);
    subscription.unsubscribe();
  });

  it('with a valve, forwards an error at once and lets go of the valve on unsubscribe', () => {
    const valve = new Valve({ maxBytes: 1000, maxItems: 1 });
    valve.acquire(1, 1);
    let failed: unknown;
    from([{ time: 1, value: { id: 'x', f: [1, 2] } }])
      .pipe(concatWith(throwError(() => new Error('boom'))), flatten('f', { valve }))
      .subscribe({ error: (e: unknown) => (failed = e) });
    expect((failed as Error).message).to.equal('boom');
    const out: unknown[] = [];
    const subscription = from([{ time: 1, value: { id: 'x', f: [1, 2] } }])
      .pipe(flatten('f', { valve }))
      .subscribe((r) => out.push(r));
    subscription.unsubscribe();
    valve.release(1, 1);
    expect(out, 'nothing after unsubscribe').to.deep.equal([]);
  });
});
