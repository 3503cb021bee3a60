import { expect } from 'chai';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { Valve } from '../../lib/flow/valve';
import type { Timed } from '../../lib/operators/timed';
import { DevoReceiver } from '../../lib/simulators/devoReceiver';
import { DevoSender } from '../../lib/sinks/devoSender';
import { Deferred } from '../../lib/flow/deferred';
import { devoSink, devoSinkArrays, type SinkAck } from '../../lib/sinks/devoSink';
import type { DevoReceipt, DevoWriter } from '../../lib/sinks/devoWriter';
import { sharedPki } from '../helpers/pki';
import { waitFor } from '../helpers/waitFor';

/** A writer that writes and delivers when told to: stands for a slow, stalled or stuck relay. */
class ManualWriter implements DevoWriter {
  readonly writes: Buffer[] = [];
  private readonly unwritten: Array<{ written: Deferred; delivered: Deferred }> = [];
  private readonly undelivered: Deferred[] = [];
  send(data: Buffer): DevoReceipt {
    this.writes.push(data);
    const receipt = { written: new Deferred(), delivered: new Deferred() };
    this.unwritten.push(receipt);
    return { written: receipt.written.promise, delivered: receipt.delivered.promise };
  }
  /** The socket takes the oldest unwritten batch. */
  writeNext(): void {
    const next = this.unwritten.shift();
    next?.written.resolve();
    if (next !== undefined) this.undelivered.push(next.delivered);
  }
  /** The relay confirms the oldest written batch. */
  deliverNext(): void {
    this.undelivered.shift()?.resolve();
  }
  ackNext(): void {
    this.writeNext();
    this.deliverNext();
  }
  failNext(err: Error): void {
    const next = this.unwritten.shift();
    next?.written.reject(err);
    next?.delivered.reject(err);
  }
  /** The writer closes: what was written but not delivered is given up. */
  closeUndelivered(err: Error): void {
    for (const d of this.undelivered.splice(0)) d.reject(err);
  }
}

/** A writer that writes and delivers at once. */
function instantWriter(onData: (data: Buffer) => void): DevoWriter {
  return {
    send: (data) => {
      onData(data);
      return { written: Promise.resolve(), delivered: Promise.resolve() };
    },
  };
}

const ev = (time: number, body: string): Timed<string> => ({ time, value: body });

describe('devoSink', () => {
  it('writes each batch with one send and acknowledges it with its records, in order', async () => {
    const writes: string[] = [];
    const writer = instantWriter((d) => writes.push(d.toString()));
    const records = [ev(0, 'a'), ev(1000, 'b'), ev(2000, 'c')];
    const acks = await lastValueFrom(
      from(records).pipe(devoSink({ writer, tag: 'my.tag', hostname: 'h', format: (v) => `{"v":"${v}"}`, batch: { maxEvents: 2 } }), toArray()),
    );
    expect(writes).to.deep.equal([
      '<14>1970-01-01T00:00:00.000Z h my.tag: {"v":"a"}\n<14>1970-01-01T00:00:01.000Z h my.tag: {"v":"b"}\n',
      '<14>1970-01-01T00:00:02.000Z h my.tag: {"v":"c"}\n',
    ]);
    expect(acks.map((a) => a.records)).to.deep.equal([[records[0], records[1]], [records[2]]]);
    expect(acks.map((a) => a.bytes)).to.deep.equal([Buffer.byteLength(writes[0]!), Buffer.byteLength(writes[1]!)]);
  });

  it('acknowledges a batch only once delivered, not when the socket took it, in order', async () => {
    const writer = new ManualWriter();
    const valve = new Valve({ maxBytes: 1e9, maxItems: 100 });
    const input = new Subject<Timed<string>>();
    const acks: Array<SinkAck<string>> = [];
    let completed = false;
    input
      .pipe(devoSink({ writer, tag: 'a.b', hostname: 'h', format: (v) => v, valve, batch: { maxEvents: 1 } }))
      .subscribe({ next: (a) => acks.push(a), complete: () => (completed = true) });
    input.next(ev(0, 'x'));
    input.next(ev(1, 'y'));
    input.complete();
    writer.writeNext();
    await waitFor(() => writer.writes.length === 2, 'the second batch written once the first was');
    writer.writeNext();
    await new Promise((resolve) => setImmediate(resolve));
    expect(valve.inFlight).to.deep.equal({ items: 0, bytes: 0 }, 'the valve counts until written');
    expect(acks).to.deep.equal([], 'written is not delivered');
    writer.deliverNext();
    await waitFor(() => acks.length === 1, 'the first ack');
    expect(acks[0]!.records.map((r) => r.value)).to.deep.equal(['x']);
    expect(completed).to.equal(false);
    writer.deliverNext();
    await waitFor(() => completed, 'completion after the last delivery');
    expect(acks.map((a) => a.records[0]!.value)).to.deep.equal(['x', 'y']);
  });

  it('errors, without acknowledging, when the writer closes before confirming a written batch', async () => {
    const writer = new ManualWriter();
    const input = new Subject<Timed<string>>();
    const acks: Array<SinkAck<string>> = [];
    let error: unknown;
    input
      .pipe(devoSink({ writer, tag: 'a.b', hostname: 'h', format: (v) => v, batch: { maxEvents: 1 } }))
      .subscribe({ next: (a) => acks.push(a), error: (e) => (error = e) });
    input.next(ev(0, 'x'));
    writer.writeNext();
    writer.closeUndelivered(new Error('closed before the relay confirmed'));
    await waitFor(() => error !== undefined, 'the error');
    expect((error as Error).message).to.equal('closed before the relay confirmed');
    expect(acks).to.deep.equal([]);
  });

  it('counts what it holds in the valve until written, closing it while the relay is slow', async () => {
    const writer = new ManualWriter();
    const valve = new Valve({ maxBytes: 1e9, maxItems: 4 });
    const input = new Subject<Timed<string>>();
    const acks: Array<SinkAck<string>> = [];
    const sub = input.pipe(devoSink({ writer, tag: 'a.b', hostname: 'h', format: (v) => v, valve, batch: { maxEvents: 2 } })).subscribe((a) => acks.push(a));
    for (let i = 0; i < 4; i++) input.next(ev(i, `e${i}`));
    expect(valve.isOpen).to.equal(false);
    expect(valve.inFlight.items).to.equal(4);
    expect(writer.writes).to.have.length(1); // the second batch waits for the first ack
    writer.ackNext();
    await waitFor(() => writer.writes.length === 2, 'second batch written');
    expect(valve.inFlight.items).to.equal(2);
    expect(valve.isOpen).to.equal(true);
    writer.ackNext();
    await waitFor(() => acks.length === 2, 'two acks');
    expect(valve.inFlight).to.deep.equal({ items: 0, bytes: 0 });
    input.next(ev(9, 'late'));
    expect(valve.inFlight.items).to.equal(1);
    sub.unsubscribe();
    expect(valve.inFlight).to.deep.equal({ items: 0, bytes: 0 }, 'released on unsubscribe');
  });

  it('in arrays (devoSinkArrays): counts each array in the valve at once, batches across arrays, acknowledges in order', async () => {
    const writer = new ManualWriter();
    const valve = new Valve({ maxBytes: 1e9, maxItems: 4 });
    const input = new Subject<ReadonlyArray<Timed<string>>>();
    const acks: Array<SinkAck<string>> = [];
    const sub = input
      .pipe(devoSinkArrays({ writer, tag: 'a.b', hostname: 'h', format: (v) => v, valve, batch: { maxEvents: 2 } }))
      .subscribe((a) => acks.push(a));
    input.next([ev(1, 'e1'), ev(2, 'e2'), ev(3, 'e3')]);
    input.next([ev(4, 'e4')]);
    expect(valve.inFlight.items).to.equal(4);
    expect(valve.isOpen).to.equal(false);
    writer.ackNext();
    await waitFor(() => writer.writes.length === 2, 'second batch written');
    writer.ackNext();
    await waitFor(() => acks.length === 2, 'two acks');
    expect(acks.map((a) => a.records.map((r) => r.value))).to.deep.equal([
      ['e1', 'e2'],
      ['e3', 'e4'],
    ]);
    expect(writer.writes.map((w) => w.toString().split('\n').length - 1)).to.deep.equal([2, 2]);
    expect(valve.inFlight).to.deep.equal({ items: 0, bytes: 0 });
    sub.unsubscribe();
  });

  it('errors when the writer rejects (sender closed), releasing the valve', async () => {
    const writer = new ManualWriter();
    const valve = new Valve({ maxBytes: 1e9, maxItems: 100 });
    const input = new Subject<Timed<string>>();
    let error: unknown;
    input.pipe(devoSink({ writer, tag: 'a.b', hostname: 'h', format: (v) => v, valve, batch: { maxEvents: 1 } })).subscribe({ error: (e) => (error = e) });
    input.next(ev(0, 'x'));
    writer.failNext(new Error('closed'));
    await waitFor(() => error !== undefined, 'the error');
    expect((error as Error).message).to.equal('closed');
    expect(valve.inFlight.items).to.equal(0);
  });

  it('errors when format throws', async () => {
    const writer = new ManualWriter();
    let error: unknown;
    from([ev(0, 'x')])
      .pipe(
        devoSink({
          writer,
          tag: 'a.b',
          hostname: 'h',
          format: () => {
            throw new Error('bad record');
          },
        }),
      )
      .subscribe({ error: (e) => (error = e) });
    expect((error as Error).message).to.equal('bad record');
  });

  it('delivers through a real DevoSender to a TLS relay, byte for byte', async () => {
    const pki = await sharedPki();
    const lines: string[] = [];
    const relay = await DevoReceiver.start({ ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key, onLine: (l) => lines.push(l) });
    const sender = new DevoSender({
      host: 'localhost',
      port: relay.port,
      ca: pki.ca.cert,
      cert: pki.client.cert,
      key: pki.client.key,
      probationMs: 20,
      confirmAfterMs: 200,
    });
    try {
      const bodies = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ guid: `g${i}`, text: 'é✓'.repeat(i % 7) }));
      const acks = await lastValueFrom(
        from(bodies.map((b, i) => ev(1716405003058 + i, b))).pipe(
          devoSink({ writer: sender, tag: 'mail.proofpoint.pod.message', hostname: 'collector-7', format: (v) => v }),
          toArray(),
        ),
      );
      expect(acks.reduce((n, a) => n + a.records.length, 0)).to.equal(2500);
      await waitFor(() => lines.length === 2500, 'all lines');
      expect(lines[0]).to.equal(`<14>2024-05-22T19:10:03.058Z collector-7 mail.proofpoint.pod.message: ${bodies[0]}`);
      expect(lines.map((l) => l.slice(l.indexOf(': ') + 2))).to.deep.equal(bodies);
    } finally {
      await sender.close();
      await relay.stop();
    }
  });
});
