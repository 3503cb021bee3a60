import { expect } from 'chai';
import { Valve } from '../../lib/flow/valve';

describe('Valve', () => {
  it('closes at a limit and reopens at half of it, emitting each change once', () => {
    const valve = new Valve({ maxBytes: 100, maxItems: 10 });
    const states: boolean[] = [];
    const sub = valve.open$.subscribe((s) => states.push(s));
    valve.acquire(5, 60);
    valve.acquire(1, 40);
    expect(valve.isOpen).to.equal(false);
    valve.acquire(1, 1);
    valve.release(1, 20);
    expect(valve.isOpen).to.equal(false);
    valve.release(1, 40);
    expect(valve.isOpen).to.equal(true);
    expect(states).to.deep.equal([true, false, true]);
    sub.unsubscribe();
  });

  it('closes on the item count alone', () => {
    const valve = new Valve({ maxBytes: 1e9, maxItems: 2 });
    valve.acquire(2, 2);
    expect(valve.isOpen).to.equal(false);
  });

  it('never counts below zero', () => {
    const valve = new Valve({ maxBytes: 10, maxItems: 10 });
    valve.release(5, 50);
    expect(valve.inFlight).to.deep.equal({ bytes: 0, items: 0 });
  });
});
