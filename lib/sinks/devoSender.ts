import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { CollectorError } from '../errors/collectorError';
import { Deferred } from '../flow/deferred';
import { silentLogger, type Logger } from '../log/logger';
import { DeliveryConfirmation } from './deliveryConfirmation';
import { DevoConnection, type DevoConnectionEnd } from './devoConnection';
import { resolveSenderOptions, type DevoSenderOptions, type DevoSenderStats, type ResolvedSenderOptions } from './devoSenderOptions';
import type { DevoReceipt, DevoWriter } from './devoWriter';
import { failWrite, type PendingWrite } from './resendWindow';
import { WriteQueue } from './writeQueue';

export type { DevoSenderOptions, DevoSenderStats } from './devoSenderOptions';

type CloseReason = 'idle' | 'recycle' | 'confirm' | 'shutdown';

/**
 * One TLS connection to a Devo relay, shared by the sinks of every service of an output. Writes
 * are queued in order; each {@link send} returns a {@link DevoReceipt}: `written` on the socket's
 * write callback (a full socket waits for `'drain'`), `delivered` once the relay certainly read
 * the bytes. Devo's protocol has no acknowledgement, so delivery is known in two ways only: the
 * relay's EOF answering our half-close confirms everything written on that connection, and a
 * write with `resendWindowBytes` written after it cannot still sit in a socket buffer. The
 * connection is therefore cycled gracefully when a write has waited `confirmAfterMs`, when it is
 * idle, every `recycleAfterMs`, and, once {@link drain} or {@link close} is called, as soon as
 * nothing is being written.
 *
 * The connection opens on the first write, is mutual TLS 1.2+ with the server verified against
 * `ca` and the host name, and is replaced with capped exponential backoff and jitter when it
 * fails or the relay closes it (EOF and resets on the read side are watched); what it had not
 * delivered is written again on the next.
 *
 * @example
 * const sender = new DevoSender({ host: 'collector-us.devo.io', port: 443, ca, cert, key });
 * const receipt = sender.send(Buffer.from('<14>2024-05-22T19:10:03.058Z host my.app.tag: hello\n'));
 * await receipt.delivered;
 * await sender.close(); // flush, half-close, wait for the relay's EOF
 */
export class DevoSender implements DevoWriter {
  private readonly logger: Logger;
  private readonly scheduler: SchedulerLike;
  private readonly random: () => number;
  private readonly o: ResolvedSenderOptions;

  private readonly queue = new WriteQueue();
  private readonly confirmation: DeliveryConfirmation;
  private connection: DevoConnection | undefined;
  private waitingDrain = false;
  private failures = 0;
  /** The last connection ended as planned: the next one is logged at debug level. */
  private plannedReconnect = false;
  private retryTimer: Subscription | undefined;
  private idleTimer: Subscription | undefined;
  /** Confirm by half-close as soon as nothing is being written (the writers are stopping). */
  private draining = false;
  private shuttingDown = false;
  /** The last connection is closing: no reconnect, no write. */
  private finalClose = false;
  private closePromise: Promise<void> | undefined;
  private settledWaiters: Array<() => void> = [];
  private counters = { connections: 0, connectionsLost: 0, bytesWritten: 0, bytesResent: 0 };

  constructor(private readonly options: DevoSenderOptions) {
    this.logger = options.logger ?? silentLogger;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.random = options.random ?? Math.random;
    this.o = resolveSenderOptions(options, this.logger, this.scheduler);
    this.confirmation = new DeliveryConfirmation({
      ...this.o,
      scheduler: this.scheduler,
      requestConfirmingClose: () => this.closeGracefully('confirm'),
      onChange: () => this.checkIdle(),
    });
  }

  /** Counters since creation. */
  get stats(): DevoSenderStats {
    return {
      ...this.counters,
      bytesQueued: this.queue.queuedBytes,
      bytesInFlight: this.queue.inflightBytes,
      bytesDelivered: this.confirmation.delivered,
      bytesUnconfirmed: this.confirmation.bytes,
    };
  }

  /**
   * Opens the connection now rather than with the first write, so that a bad certificate or an
   * unreachable relay is reported at start, and the first events do not wait for the handshake.
   * An idle connection still closes after `idleTimeoutMs`.
   */
  open(): void {
    if (this.connection === undefined && this.retryTimer === undefined && !this.shuttingDown) this.connect();
  }

  /**
   * Queues `data` (whole syslog lines). See {@link DevoReceipt} for what its two promises mean;
   * both reject with `DEVO_SENDER_CLOSED` when the sender is closing or closes first. `onRelease`
   * is called once the sender no longer holds `data` (it keeps undelivered writes, to write them
   * again if the connection is lost), so that the caller can reuse its memory.
   */
  send(data: Buffer, onRelease?: () => void): DevoReceipt {
    const write: PendingWrite = { data, written: new Deferred(), delivered: new Deferred(), release: onRelease, writtenAt: 0 };
    if (this.shuttingDown) {
      failWrite(write, new CollectorError('DEVO_SENDER_CLOSED', 'The Devo sender is closed; nothing more can be sent.'));
    } else {
      this.queue.push(write);
      this.idleTimer?.unsubscribe();
      this.idleTimer = undefined;
      this.kick();
    }
    return { written: write.written.promise, delivered: write.delivered.promise };
  }

  /**
   * The writers are stopping: from now on, whenever nothing is queued or being written, the
   * connection is half-closed at once so that the relay's EOF confirms what it holds (and a new
   * one opened for any later write). Writing goes on as usual.
   */
  drain(): void {
    this.draining = true;
    this.checkIdle();
  }

  /**
   * Stops taking data and, within `timeoutMs` (default 10 s), writes what is queued, half-closes
   * the connection and waits for the relay's EOF. Whatever was not confirmed by then is rejected
   * with `DEVO_SENDER_CLOSED` (its cursor was not committed, so it is pulled again on the next
   * start).
   */
  close(timeoutMs = 10_000): Promise<void> {
    this.closePromise ??= this.shutdown(timeoutMs);
    return this.closePromise;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    const deadline = this.scheduler.now() + timeoutMs;
    this.shuttingDown = true;
    this.draining = true;
    this.idleTimer?.unsubscribe();
    this.idleTimer = undefined;
    this.checkIdle();
    await this.whenSettled(timeoutMs);
    this.finalClose = true;
    this.retryTimer?.unsubscribe();
    this.retryTimer = undefined;
    const connection = this.connection;
    if (connection !== undefined) {
      const closed = new Promise<void>((resolve) => this.settledWaiters.push(resolve));
      if (connection.isOpen) this.closeGracefully('shutdown', Math.max(0, deadline - this.scheduler.now()));
      else if (!connection.isClosing) connection.destroy();
      await closed;
    }
    const left = [...this.confirmation.takeAll(), ...this.queue.takeAll()];
    if (left.length > 0) {
      const bytes = left.reduce((sum, w) => sum + w.data.length, 0);
      this.logger.warn(
        `DEVO_SENDER_CLOSED: closing with ${left.length} batch(es) (${bytes} bytes) the relay did not confirm reading; their cursors are not committed, so they are pulled again on the next start`,
      );
    }
    const error = new CollectorError('DEVO_SENDER_CLOSED', 'The Devo sender closed before the relay confirmed reading this batch.');
    for (const write of left) failWrite(write, error);
  }

  /** Resolves once nothing is queued, being written or undelivered (or the last connection closed), or after `timeoutMs`. */
  private whenSettled(timeoutMs: number): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = this.scheduler.schedule(() => resolve(), timeoutMs);
      this.settledWaiters.push(() => {
        timer.unsubscribe();
        resolve();
      });
    });
  }

  private isSettled(): boolean {
    return this.queue.isIdle && this.confirmation.isEmpty;
  }

  private wakeSettled(): void {
    for (const waiter of this.settledWaiters.splice(0)) waiter();
  }

  private kick(): void {
    if (this.connection?.isOpen === true) this.pump();
    else if (this.connection === undefined && this.retryTimer === undefined && this.queue.hasQueued && !this.finalClose) this.connect();
  }

  private connect(): void {
    let connection: DevoConnection;
    try {
      connection = DevoConnection.open(this.o.connection, {
        onOpen: () => this.onOpen(connection),
        onDrain: () => {
          if (connection !== this.connection) return;
          this.waitingDrain = false;
          this.pump();
        },
        onError: (error) => {
          if (connection === this.connection) this.report(error);
        },
        onClose: (end) => this.onClose(connection, end),
      });
    } catch (err) {
      this.report(err as CollectorError);
      this.failures++;
      this.scheduleReconnect();
      return;
    }
    this.connection = connection;
  }

  private onOpen(connection: DevoConnection): void {
    if (connection !== this.connection) return;
    this.counters.connections++;
    this.confirmation.opened();
    const text = `Connected to Devo at ${this.options.host}:${this.options.port} (${connection.protocol})`;
    if (this.plannedReconnect) this.logger.debug(text);
    else this.logger.info(text);
    this.pump();
    this.checkIdle();
  }

  private pump(): void {
    const connection = this.connection;
    if (connection === undefined || !connection.isOpen) return;
    if (connection.age >= this.o.recycleAfterMs && this.queue.hasQueued) {
      this.closeGracefully('recycle');
      return;
    }
    while (!this.waitingDrain) {
      const write = this.queue.next();
      if (write === undefined) break;
      if (!connection.write(write.data, () => this.onWritten(connection, write))) this.waitingDrain = true;
    }
  }

  private onWritten(connection: DevoConnection, write: PendingWrite): void {
    if (connection !== this.connection || !this.queue.written(write)) return;
    this.counters.bytesWritten += write.data.length;
    this.confirmation.written(write);
    this.checkIdle();
  }

  /**
   * When nothing is queued or being written: wakes `close()` if nothing is undelivered either,
   * half-closes at once to confirm what is if draining, and arms the idle timer.
   */
  private checkIdle(): void {
    if (!this.queue.isIdle) return;
    const open = this.connection?.isOpen === true;
    if (this.confirmation.isEmpty) this.wakeSettled();
    else if (this.draining && open) {
      this.confirmation.confirmNow();
      return;
    }
    if (!this.shuttingDown && this.idleTimer === undefined && open) {
      this.idleTimer = this.scheduler.schedule(() => {
        this.idleTimer = undefined;
        if (this.queue.isIdle) this.closeGracefully('idle');
      }, this.o.idleTimeoutMs);
    }
  }

  private closeGracefully(reason: CloseReason, eofTimeoutMs = this.o.closeTimeoutMs): void {
    const connection = this.connection;
    if (connection === undefined || !connection.isOpen) return;
    this.logger.debug(`Closing the Devo connection (${reason}): half-close and wait for EOF`);
    this.idleTimer?.unsubscribe();
    this.idleTimer = undefined;
    this.confirmation.closing();
    connection.halfClose(eofTimeoutMs, () => {
      // Stopping: a relay that does not answer would only get the same data again; give up.
      if (this.shuttingDown) this.finalClose = true;
      this.logger.warn(
        `The Devo relay sent no EOF within ${eofTimeoutMs} ms of our half-close; closing anyway (what it did not confirm is ${this.finalClose ? 'not committed' : 'written again'})`,
      );
    });
  }

  private onClose(connection: DevoConnection, end: DevoConnectionEnd): void {
    if (connection !== this.connection) return;
    this.idleTimer?.unsubscribe();
    this.idleTimer = undefined;
    // An EOF answering our half-close means the relay read everything, unless the connection is
    // so young that the EOF may be a rejection of the client certificate.
    const clean = end.confirmedByEof && !this.queue.hasInflight && end.lived >= this.o.probationMs;
    this.connection = undefined;
    this.waitingDrain = false;
    this.plannedReconnect = clean;
    const resend = this.confirmation.closed(clean);
    if (clean) this.failures = 0;
    else {
      if (end.opened) this.counters.connectionsLost++;
      this.failures = end.lived >= this.o.healthyAfterMs ? 1 : this.failures + 1;
      const resendBytes = resend.reduce((sum, w) => sum + w.data.length, 0);
      if (resendBytes > 0 && !this.finalClose) {
        this.counters.bytesResent += resendBytes;
        this.logger.warn(`Re-sending the last ${resendBytes} bytes written on the lost connection (the relay may not have read them)`);
      }
      this.queue.requeue(resend);
    }
    if (!this.queue.hasQueued || this.finalClose) {
      this.wakeSettled();
      return;
    }
    if (clean) this.kick();
    else this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.retryTimer !== undefined || this.finalClose) return;
    const exp = Math.min(this.o.backoffMaxMs, this.o.backoffInitialMs * 2 ** Math.max(0, this.failures - 1));
    const delay = Math.round(exp / 2 + (exp / 2) * this.random());
    this.logger.info(`Reconnecting to Devo in ${delay} ms (attempt ${this.failures + 1})`);
    this.retryTimer = this.scheduler.schedule(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
  }

  private report(error: CollectorError): void {
    this.logger.error(`${error.code}: ${error.message}`);
    this.options.onError?.(error);
  }
}
