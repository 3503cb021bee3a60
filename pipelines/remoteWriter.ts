import type { MessagePort } from 'node:worker_threads';
import { CollectorError } from '../lib/errors/collectorError';
import { Deferred } from '../lib/flow/deferred';
import type { DevoReceipt, SendOptions } from '../lib/sinks/devoWriter';
import type { OutputWriter } from './runner';
import type { RemoteReceipt, RemoteSend } from './workerProtocol';

/**
 * The writer of a worker thread when the workers share the main thread's Devo connection
 * (`workerOutput: 'shared'`): each batch is copied into a buffer of its own and transferred to the
 * main thread, which writes it with its `DevoSender` and answers when it was written and when
 * delivered. `open`, `drain` and `close` belong to the main thread's sender (the supervisor drains
 * it on stop and closes it after the workers): here they do nothing.
 */
export class RemoteWriter implements OutputWriter {
  private nextId = 0;
  private readonly pending = new Map<number, { written: Deferred; delivered: Deferred }>();

  constructor(private readonly port: MessagePort | { postMessage(message: unknown, transfer?: ArrayBuffer[]): void }) {}

  send(data: Buffer, options: SendOptions = {}): DevoReceipt {
    const id = this.nextId++;
    const copy = new ArrayBuffer(data.length);
    new Uint8Array(copy).set(data);
    options.onRelease?.();
    const receipt = { written: new Deferred(), delivered: new Deferred() };
    this.pending.set(id, receipt);
    this.port.postMessage({ type: 'send', id, data: copy, lines: options.lines ?? 0 } satisfies RemoteSend, [copy]);
    return { written: receipt.written.promise, delivered: receipt.delivered.promise };
  }

  /** Settles a batch's receipt from the main thread's answer. */
  settle(answer: RemoteReceipt): void {
    const receipt = this.pending.get(answer.id);
    if (receipt === undefined) return;
    if (answer.type === 'failed') {
      const error = new CollectorError(answer.code === 'DEVO_SENDER_CLOSED' ? 'DEVO_SENDER_CLOSED' : 'DEVO_CONNECTION_LOST', answer.message);
      receipt.written.reject(error);
      receipt.delivered.reject(error);
      this.pending.delete(answer.id);
    } else {
      receipt.written.resolve();
      if (answer.type === 'delivered') {
        receipt.delivered.resolve();
        this.pending.delete(answer.id);
      }
    }
  }

  open(): void {}

  drain(): void {}

  async close(): Promise<void> {}
}
