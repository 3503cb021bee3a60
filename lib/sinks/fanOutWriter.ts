import type { DevoReceipt, SendOptions } from './devoWriter';
import type { OutputWriter } from './outputWriter';

/** Settles when every promise settled: resolves if all resolved, else rejects with the first rejection. */
async function allSettled(promises: ReadonlyArray<Promise<void>>): Promise<void> {
  const outcomes = await Promise.allSettled(promises);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/**
 * Several outputs as one {@link OutputWriter}: every buffer goes to every output (Devo's SDK
 * default), each with its own connection, queue, resend window and confirmation. The same
 * `Buffer` is handed to each (its bytes are built once); `onRelease` is called once, when the
 * last output released it.
 *
 * A receipt's `written` settles when every output took the buffer (a stalled output holds the
 * next write back: backpressure) and `delivered` when every output confirmed it (so a cursor moves
 * only then). Either rejects, once every output settled, with the first output's rejection; the
 * other outputs still hold and deliver their copy (nothing is lost there), and the batch is not
 * committed (it is pulled again).
 *
 * @example
 * const writer = new FanOutWriter([devoSender, syslogSender]);
 * await writer.send(Buffer.from('<14>2024-05-22T19:10:03.058Z host my.app.tag: hello\n')).delivered;
 */
export class FanOutWriter implements OutputWriter {
  constructor(private readonly writers: readonly OutputWriter[]) {
    if (writers.length === 0) throw new RangeError('FanOutWriter needs at least one writer');
  }

  send(data: Buffer, options: SendOptions = {}): DevoReceipt {
    let held = this.writers.length;
    const release = options.onRelease;
    const each: SendOptions = {
      ...(options.lines === undefined ? {} : { lines: options.lines }),
      ...(release === undefined ? {} : { onRelease: () => (--held === 0 ? release() : undefined) }),
    };
    const receipts = this.writers.map((w) => w.send(data, each));
    const written = allSettled(receipts.map((r) => r.written));
    const delivered = allSettled(receipts.map((r) => r.delivered));
    written.catch(() => undefined);
    delivered.catch(() => undefined);
    return { written, delivered };
  }

  open(): void {
    for (const w of this.writers) w.open();
  }

  drain(): void {
    for (const w of this.writers) w.drain();
  }

  async close(timeoutMs?: number): Promise<void> {
    await Promise.all(this.writers.map((w) => w.close(timeoutMs)));
  }
}
