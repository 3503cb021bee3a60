import { deliverWrite, type PendingWrite } from './pendingWrite';

/**
 * The writes of one connection that the socket took but the relay has not confirmed, oldest
 * first. A write callback only means the kernel took the bytes: they may still sit in this
 * host's send buffer or the relay's receive buffer, and are lost if the connection breaks. So a
 * write stays here, undelivered, until either `maxBytes` more were written after it (no socket
 * buffer holds that much: the relay read it) or the relay's EOF after our half-close confirms the
 * whole connection; when the connection is lost instead, everything here is written again on
 * the next one.
 */
export class ResendWindow {
  private writes: PendingWrite[] = [];
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes held. */
  get bytes(): number {
    return this.total;
  }

  get length(): number {
    return this.writes.length;
  }

  /** When the oldest write held was written; undefined when empty. */
  get oldestWrittenAt(): number | undefined {
    return this.writes[0]?.writtenAt;
  }

  add(write: PendingWrite): void {
    this.writes.push(write);
    this.total += write.data.length;
  }

  /** Delivers the oldest writes that have at least `maxBytes` written after them. */
  deliverByVolume(): void {
    while (this.writes.length > 1 && this.total - this.writes[0]!.data.length >= this.maxBytes) {
      const write = this.writes.shift()!;
      this.total -= write.data.length;
      deliverWrite(write);
    }
  }

  /** Delivers everything held (the relay's EOF answered our half-close). */
  deliverAll(): void {
    for (const write of this.takeAll()) deliverWrite(write);
  }

  /** Takes every write out, oldest first (to write again, or to give up). */
  takeAll(): PendingWrite[] {
    const writes = this.writes;
    this.writes = [];
    this.total = 0;
    return writes;
  }
}
