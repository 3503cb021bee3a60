import { expect } from 'chai';
import { CollectorTelemetry } from '../../lib/telemetry/collectorTelemetry';
import {
  addRetired,
  applySenderSnapshots,
  applyServiceSnapshots,
  mergeSenders,
  retire,
  telemetrySnapshotter,
  type SenderSnapshot,
  type TelemetrySnapshot,
} from '../../lib/telemetry/telemetrySnapshot';

/** The one output's figures of a snapshot. */
const sender = (snapshot: TelemetrySnapshot): SenderSnapshot => snapshot.outputs[0]![1];

describe('telemetry snapshots (a worker thread reports to the main one)', () => {
  /** A worker's telemetry after some work: `n` events received, `n - 1` sent, one 429. */
  const worker = (n: number) => {
    const t = new CollectorTelemetry({ id: '1', name: 'c' });
    const alerts = t.service('proofpoint_casb', '3', 'alerts');
    alerts.state = 'running';
    alerts.connected = true;
    alerts.counters.received = n;
    alerts.counters.sent = n - 1;
    alerts.delivered(1_000 * n);
    alerts.setOutcome('200', n);
    alerts.holding(() => ({ sortWindow: 5, sink: 2, dedupKeys: n, dedupBytes: 180 * n }));
    t.casbInput('3').rateLimited = 1;
    const take = telemetrySnapshotter(t);
    t.sender.opened();
    t.sender.written(20, 100, n);
    t.sender.written(40, 100, 1);
    return { t, take };
  };

  it('a restarted worker counts from zero: the unit shows what its dead workers reached plus the live one', () => {
    const first = worker(10).take();
    expect(sender(first).latencies).to.deep.equal([0.02, 0.04]);
    const retired = retire(first);
    expect(retired.services[0]!.connected).to.equal(false);
    expect(retired.services[0]!.holds.sortWindow).to.equal(0);
    expect(sender(retired)).to.include({ connected: false, queuedLines: 0, linesWritten: 11 });

    const live = worker(3).take();
    const unit = addRetired(retired, live);
    expect(unit.services[0]!.counters).to.include({ received: 13, sent: 11 });
    expect(unit.services[0]!.outcomes).to.deep.equal([['200', 13]]);
    expect(unit.services[0]!.connected, 'the live worker says what is now').to.equal(true);
    expect(unit.services[0]!.holds.dedupKeys).to.equal(3);
    expect(unit.services[0]!.lastDeliveredEventTime).to.equal(3_000);
    expect(sender(unit)).to.include({ connections: 2, linesWritten: 15, connected: true });
    expect(unit.casbInputs).to.deep.equal([['3', { rateLimited: 2, tokenRenewals: 0 }]]);
    expect(addRetired(undefined, live)).to.equal(live);

    const main = new CollectorTelemetry({ id: '1', name: 'c' });
    applyServiceSnapshots(main, unit);
    const status = main.status().services.find((s) => s.name === 'casb/alerts')!;
    expect(status.counters).to.include({ received: 13, sent: 11 });
    expect(main.casbInput('3').rateLimited).to.equal(2);
  });

  it("a live worker's service in its restart back-off is what the main thread shows (/ready 503); a dead worker's state is not", () => {
    const w = worker(4);
    w.t.services[0]!.state = 'backoff';
    const main = new CollectorTelemetry({ id: '1', name: 'c' });
    main.service('proofpoint_casb', '3', 'alerts').state = 'running';
    applyServiceSnapshots(main, w.take(), true);
    expect(main.readiness()).to.include({ ready: false, check: 'service', service: 'casb/alerts' });
    expect(main.status().services[0]!.state).to.equal('backoff');
    // The worker died: the supervisor's state stands (it restarts the worker), not the stale snapshot's.
    main.services[0]!.state = 'running';
    applyServiceSnapshots(main, retire(w.take()));
    expect(main.readiness()).to.deep.equal({ ready: true });
  });

  it("the main thread's sender is the sum of the workers': connected when all are, failing since the first failure", () => {
    const a = sender(worker(10).take());
    const b = { ...sender(worker(5).take()), connected: false, failingSince: 42 };
    const main = new CollectorTelemetry({ id: '1', name: 'c' });
    mergeSenders(main.sender, [a, b]);
    expect(main.sender).to.include({ connected: false, connections: 2, linesWritten: 17, failingSince: 42 });
    mergeSenders(main.sender, [a]);
    expect(main.sender).to.include({ connected: true, linesWritten: 11, failingSince: undefined });
  });

  it('with several outputs, each worker reports each output by name, and the main thread merges them by name (/ready names the failing one)', () => {
    const make = (linesDevo: number, relayFailing: boolean) => {
      const t = new CollectorTelemetry({ id: '1', name: 'c' }, { now: () => 100_000 });
      const devo = t.output('devo_1');
      const relay = t.output('relay_1');
      const take = telemetrySnapshotter(t);
      devo.opened();
      devo.written(10, 100, linesDevo);
      relay.opened();
      relay.written(30, 100, 2);
      if (relay.connected && relayFailing) (relay.closed(false), relay.problem('DEVO_CONNECT_FAILED', 'relay_1 refused'));
      return take();
    };
    const a = make(10, false);
    const b = make(5, true);
    expect(a.outputs.map(([name, s]) => [name, s.linesWritten, s.latencies])).to.deep.equal([
      ['devo_1', 10, [0.01]],
      ['relay_1', 2, [0.03]],
    ]);
    const main = new CollectorTelemetry({ id: '1', name: 'c' }, { now: () => 200_000, readinessGraceMs: 1000 });
    main.output('devo_1');
    main.output('relay_1');
    applySenderSnapshots(main, [a, b]);
    expect(main.output('devo_1')).to.include({ connected: true, linesWritten: 15, failingSince: undefined });
    expect(main.output('relay_1')).to.include({ connected: false, linesWritten: 4, failingSince: 100_000 });
    expect(main.readiness()).to.include({ ready: false, check: 'devo_connection', output: 'relay_1' });
    const retired = retire(b);
    expect(retired.outputs.map(([name, s]) => [name, s.connected, s.latencies.length])).to.deep.equal([
      ['devo_1', false, 0],
      ['relay_1', false, 0],
    ]);
    const unit = addRetired(retired, a);
    expect(unit.outputs.map(([name, s]) => [name, s.linesWritten, s.connections])).to.deep.equal([
      ['devo_1', 15, 2],
      ['relay_1', 4, 2],
    ]);
  });
});
