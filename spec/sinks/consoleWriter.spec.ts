import { expect } from 'chai';
import { Writable } from 'node:stream';
import type { CollectorError } from '../../lib/errors/collectorError';
import { createLogger } from '../../lib/log/logger';
import { ConsoleWriter } from '../../lib/sinks/consoleWriter';
import { SenderTelemetry } from '../../lib/telemetry/senderTelemetry';
import { waitFor } from '../helpers/waitFor';

const batch = (i: number) => Buffer.from(`<14>2024-05-22T19:10:03.058Z host my.app.tag: {"n":${i}}\n`.repeat(100));

/** A real Writable (as a pipe to a slow reader is) whose reader takes one chunk each time `read()` is called. */
function slowReader(): { stream: Writable; chunks: Buffer[]; read: () => void } {
  const chunks: Buffer[] = [];
  const waiting: Array<() => void> = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      waiting.push(() => callback());
    },
  });
  return { stream, chunks, read: () => waiting.shift()?.() };
}

describe('ConsoleWriter (the console and stdout outputs)', () => {
  it('writes in order, delivered on the write callback; a full stream holds the next batches until drain', async () => {
    const { stream, chunks, read } = slowReader();
    const telemetry = new SenderTelemetry();
    const writer = new ConsoleWriter({ stream, telemetry });
    writer.open();
    const receipts = Array.from({ length: 5 }, (_, i) => writer.send(batch(i), { lines: 100 }));
    // The first batch fills the stream (write returned false): the other four wait in the writer, not in the stream.
    expect(chunks).to.have.length(1);
    expect(stream.writableLength).to.equal(batch(0).length);
    expect(telemetry.queuedLines()).to.equal(400);
    let delivered = 0;
    for (const r of receipts) void r.delivered.then(() => delivered++);
    for (let i = 1; i <= 5; i++) {
      read();
      await waitFor(() => delivered === i, `batch ${i} delivered`);
      expect(chunks, 'one batch in the stream at a time').to.have.length(Math.min(i + 1, 5));
    }
    expect(Buffer.concat(chunks).equals(Buffer.concat(Array.from({ length: 5 }, (_, i) => batch(i))))).to.equal(true);
    expect(telemetry.linesWritten).to.equal(500);
    await writer.close();
  });

  it('a closed stream (EPIPE): CONSOLE_OUTPUT_CLOSED for what it holds and whatever comes later, logged and reported once', async () => {
    const { stream } = slowReader();
    const logs: string[] = [];
    const fatal: CollectorError[] = [];
    const writer = new ConsoleWriter({
      stream,
      setting: 'outputs.console_1 (type console)',
      logger: createLogger({ write: (l) => logs.push(l) }),
      onFatal: (e) => fatal.push(e),
    });
    const pending = [writer.send(batch(1)), writer.send(batch(2))];
    stream.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    for (const r of pending) {
      const err = await r.delivered.then(
        () => undefined,
        (e: CollectorError) => e,
      );
      expect(err?.code).to.equal('CONSOLE_OUTPUT_CLOSED');
    }
    const later = await writer.send(batch(3)).delivered.then(
      () => undefined,
      (e: CollectorError) => e,
    );
    expect(later?.code).to.equal('CONSOLE_OUTPUT_CLOSED');
    expect(fatal).to.have.length(1);
    expect(fatal[0]!.message).to.match(/^Standard output was closed under outputs\.console_1 \(type console\) \(EPIPE\)/);
    expect(logs.filter((l) => l.includes('CONSOLE_OUTPUT_CLOSED'))).to.have.length(1);
    await writer.close(100);
  });

  it('close waits for the writes in flight, then refuses more', async () => {
    const { stream, read } = slowReader();
    const writer = new ConsoleWriter({ stream });
    const first = writer.send(batch(1));
    const closed = writer.close(5_000);
    read();
    await first.delivered;
    await closed;
    const err = await writer.send(batch(2)).delivered.then(
      () => undefined,
      (e: CollectorError) => e,
    );
    expect(err?.code).to.equal('DEVO_SENDER_CLOSED');
  });
});
