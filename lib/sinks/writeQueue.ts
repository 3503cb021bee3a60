import type { PendingWrite } from './pendingWrite';

/**
 * The writes a sender has not handed to a socket yet (queued) and those a socket has not taken
 * yet (in flight), in order. A lost connection puts what it held back at the front.
 */
export class WriteQueue {
  private queued: PendingWrite[] = [];
  private inflight: PendingWrite[] = [];
  private queuedTotal = 0;

  /** Bytes waiting to be handed to a socket. */
  get queuedBytes(): number {
    return this.queuedTotal;
  }

  /** Syslog lines waiting to be handed to a socket. */
  get queuedLines(): number {
    return this.queued.reduce((sum, w) => sum + w.lines, 0);
  }

  /** Bytes handed to the socket whose write callback has not fired. */
  get inflightBytes(): number {
    return this.inflight.reduce((sum, w) => sum + w.data.length, 0);
  }

  get hasQueued(): boolean {
    return this.queued.length > 0;
  }

  get hasInflight(): boolean {
    return this.inflight.length > 0;
  }

  /** Nothing queued and nothing in flight. */
  get isIdle(): boolean {
    return this.queued.length === 0 && this.inflight.length === 0;
  }

  push(write: PendingWrite): void {
    this.queued.push(write);
    this.queuedTotal += write.data.length;
  }

  /** The next write to hand to the socket, now counted in flight. */
  next(): PendingWrite | undefined {
    const write = this.queued.shift();
    if (write === undefined) return undefined;
    this.queuedTotal -= write.data.length;
    this.inflight.push(write);
    return write;
  }

  /** The socket took `write`; false when it is not in flight (a requeued or closed one). */
  written(write: PendingWrite): boolean {
    const index = this.inflight.indexOf(write);
    if (index === -1) return false;
    this.inflight.splice(index, 1);
    return true;
  }

  /** After a lost connection: `unconfirmed` (its resend window), then what was in flight, go back to the front. */
  requeue(unconfirmed: readonly PendingWrite[]): void {
    const back = [...unconfirmed, ...this.inflight];
    this.inflight = [];
    for (const w of back) this.queuedTotal += w.data.length;
    this.queued = [...back, ...this.queued];
  }

  /** Everything, in flight first, emptied (to give up at shutdown). */
  takeAll(): PendingWrite[] {
    const all = [...this.inflight, ...this.queued];
    this.inflight = [];
    this.queued = [];
    this.queuedTotal = 0;
    return all;
  }
}
