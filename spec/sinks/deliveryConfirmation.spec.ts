import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { Deferred } from '../../lib/flow/deferred';
import { DeliveryConfirmation } from '../../lib/sinks/deliveryConfirmation';
import type { PendingWrite } from '../../lib/sinks/pendingWrite';

const write = (bytes: number): PendingWrite => ({
  data: Buffer.alloc(bytes),
  written: new Deferred(),
  delivered: new Deferred(),
  release: undefined,
  queuedAt: 0,
  writtenAt: 0,
  lines: 1,
  plainBytes: bytes,
});
const settled = (w: PendingWrite) => w.delivered.settled;

/** Runs `script` on virtual time; `at(ms, fn)` schedules a step. */
function virtual(script: (at: (ms: number, fn: () => void) => void, scheduler: TestScheduler) => void): void {
  const scheduler = new TestScheduler((a, b) => {
    expect(a).to.deep.equal(b);
  });
  scheduler.run(() => script((ms, fn) => scheduler.schedule(fn, ms), scheduler));
}

describe('DeliveryConfirmation (virtual time)', () => {
  const options = (scheduler: TestScheduler, log: string[]) => ({
    resendWindowBytes: 100,
    probationMs: 500,
    confirmAfterMs: 10_000,
    scheduler,
    requestConfirmingClose: () => log.push(`close@${scheduler.now()}`),
    onChange: () => undefined,
    onDelivered: () => undefined,
  });

  it('delivers a write once a resend window was written after it, but not during the probation', () => {
    virtual((at, scheduler) => {
      const c = new DeliveryConfirmation(options(scheduler, []));
      const writes = [write(60), write(60), write(60)];
      at(0, () => c.opened());
      at(10, () => writes.forEach((w) => c.written(w)));
      at(20, () => expect(writes.map(settled)).to.deep.equal([false, false, false]));
      // The probation ends at 500: 120 bytes after the first write, 60 after the second.
      at(501, () => {
        expect(writes.map(settled)).to.deep.equal([true, false, false]);
        expect(c.bytes).to.equal(120);
        expect(c.delivered).to.equal(60);
      });
    });
  });

  it('asks for a confirming close when a write has waited confirmAfterMs, and an EOF delivers everything held', () => {
    virtual((at, scheduler) => {
      const log: string[] = [];
      const c = new DeliveryConfirmation(options(scheduler, log));
      const w = write(10);
      at(0, () => c.opened());
      at(1000, () => c.written(w));
      at(10_999, () => expect(log).to.deep.equal([]));
      at(11_001, () => {
        expect(log).to.deep.equal(['close@11000']);
        expect(c.closed(true)).to.deep.equal([]);
        expect(settled(w)).to.equal(true);
        expect(c.isEmpty).to.equal(true);
      });
    });
  });

  it('hands what it holds back, oldest first, when the connection ends without the EOF', () => {
    virtual((at, scheduler) => {
      const c = new DeliveryConfirmation(options(scheduler, []));
      const writes = [write(10), write(20)];
      at(0, () => c.opened());
      at(600, () => writes.forEach((w) => c.written(w)));
      at(700, () => {
        expect(c.closed(false)).to.deep.equal(writes);
        expect(writes.map(settled)).to.deep.equal([false, false]);
        expect(c.bytes).to.equal(0);
      });
    });
  });

  it('defers a confirming close asked for during the probation to its end', () => {
    virtual((at, scheduler) => {
      const log: string[] = [];
      const c = new DeliveryConfirmation(options(scheduler, log));
      at(0, () => c.opened());
      at(100, () => {
        c.written(write(10));
        c.confirmNow();
      });
      at(400, () => expect(log).to.deep.equal([]));
      at(600, () => expect(log).to.deep.equal(['close@500']));
    });
  });
});
