import { expect } from 'chai';
import * as net from 'node:net';
import { createLogger } from '../../lib/log/logger';
import { BalancedWriter } from '../../lib/sinks/balancedWriter';
import { DevoSender } from '../../lib/sinks/devoSender';
import type { DevoReceipt, SendOptions } from '../../lib/sinks/devoWriter';
import { FanOutWriter } from '../../lib/sinks/fanOutWriter';
import type { OutputWriter } from '../../lib/sinks/outputWriter';

/** A plain TCP relay on loopback that keeps what it reads and answers our FIN with its own (as rsyslog imtcp does). */
async function relay(): Promise<{ port: number; received: () => string; stop: () => Promise<void> }> {
  let data = '';
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('end', () => socket.end());
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => data,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** An output writer that records the buffers it is handed, then passes them on to a real sender. */
class Recording implements OutputWriter {
  readonly buffers: Buffer[] = [];
  constructor(readonly inner: DevoSender) {}
  send(data: Buffer, options?: SendOptions): DevoReceipt {
    this.buffers.push(data);
    return this.inner.send(data, options);
  }
  open(): void {
    this.inner.open();
  }
  drain(): void {
    this.inner.drain();
  }
  close(timeoutMs?: number): Promise<void> {
    return this.inner.close(timeoutMs);
  }
}

describe('several outputs as one writer (real loopback relays)', function () {
  this.timeout(10_000);
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  async function output(name: string): Promise<{ writer: Recording; received: () => string }> {
    const r = await relay();
    const sender = new DevoSender({
      host: '127.0.0.1',
      port: r.port,
      transport: 'tcp',
      confirmAfterMs: 50,
      backoffInitialMs: 20,
      backoffMaxMs: 100,
      settings: { address: `outputs.${name}.config.address (127.0.0.1:${r.port})` },
      logger: createLogger({ write: () => undefined }),
    });
    stops.push(r.stop, () => sender.close(200).catch(() => undefined));
    return { writer: new Recording(sender), received: r.received };
  }

  it('FanOutWriter: the same Buffer to every output; delivered once both confirmed; onRelease once, after both released it', async () => {
    const a = await output('devo_1');
    const b = await output('relay_1');
    const fan = new FanOutWriter([a.writer, b.writer]);
    const line = Buffer.from('<14>2024-05-22T19:10:03.058Z host my.app.tag: one\n');
    let released = 0;
    fan.drain();
    await fan.send(line, { lines: 1, onRelease: () => released++ }).delivered;
    expect(a.writer.buffers[0]).to.equal(line);
    expect(b.writer.buffers[0], 'the very same Buffer, not a copy').to.equal(line);
    expect(a.received()).to.equal(line.toString());
    expect(b.received()).to.equal(line.toString());
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).to.equal(1);
  });

  it('FanOutWriter: one output closed rejects the receipt (the batch is not committed) but the other still delivers its copy', async () => {
    const a = await output('devo_1');
    const b = await output('relay_1');
    await b.writer.close(100);
    const fan = new FanOutWriter([a.writer, b.writer]);
    a.writer.drain();
    let released = 0;
    const receipt = fan.send(Buffer.from('<14>2024-05-22T19:10:03.058Z host my.app.tag: two\n'), { lines: 1, onRelease: () => released++ });
    const outcome = await receipt.delivered.then(
      () => 'delivered',
      (err: { code?: string }) => err.code,
    );
    expect(outcome).to.equal('DEVO_SENDER_CLOSED');
    expect(a.received(), 'the open output got the event').to.include('two');
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).to.equal(1);
  });

  it('BalancedWriter: batches go to one output in turn, over every output; each lands once, none nowhere', async () => {
    const a = await output('relay_1');
    const b = await output('relay_2');
    const balanced = new BalancedWriter([a.writer, b.writer]);
    balanced.drain();
    const receipts = [0, 1, 2, 3, 4].map((i) => balanced.send(Buffer.from(`<14>2024-05-22T19:10:03.058Z host my.app.tag: ${i}\n`), { lines: 1 }));
    await Promise.all(receipts.map((r) => r.delivered));
    expect(a.writer.buffers.map((d) => d.toString().slice(-2, -1))).to.deep.equal(['0', '2', '4']);
    expect(b.writer.buffers.map((d) => d.toString().slice(-2, -1))).to.deep.equal(['1', '3']);
    expect(a.received().split('\n').filter(Boolean)).to.have.length(3);
    expect(b.received().split('\n').filter(Boolean)).to.have.length(2);
  });
});
