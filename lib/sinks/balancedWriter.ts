import type { DevoReceipt, SendOptions } from './devoWriter';
import type { OutputWriter } from './outputWriter';

/**
 * Several outputs as one {@link OutputWriter} for `globals.balanced_output: true`: each buffer goes
 * to one output in turn (round robin over every output), and its receipt is that output's, so a
 * batch commits once the output it went to confirmed it. The index wraps at the number of outputs
 * (Devo's SDK wraps one later, so that one slot in every N+1 matches no output and its events go
 * nowhere: not copied).
 *
 * @example
 * const writer = new BalancedWriter([relay1, relay2]);
 * writer.send(a); // relay1
 * writer.send(b); // relay2
 * writer.send(c); // relay1
 */
export class BalancedWriter implements OutputWriter {
  private next = 0;

  constructor(private readonly writers: readonly OutputWriter[]) {
    if (writers.length === 0) throw new RangeError('BalancedWriter needs at least one writer');
  }

  send(data: Buffer, options: SendOptions = {}): DevoReceipt {
    const writer = this.writers[this.next]!;
    this.next = (this.next + 1) % this.writers.length;
    return writer.send(data, options);
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
