import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { CollectorError } from '../errors/collectorError';
import { silentLogger, type Logger } from '../log/logger';
import { DeliveryConfirmation } from './deliveryConfirmation';
import { DevoConnection, type DevoConnectionEnd } from './devoConnection';
import { resolveSenderOptions, type DevoSenderOptions, type DevoSenderStats, type ResolvedSenderOptions } from './devoSenderOptions';
import type { DevoReceipt, DevoWriter, SendOptions } from './devoWriter';
import { abandonWrites, bytesOf, failWrite, type PendingWrite } from './pendingWrite';
import { batchWrite } from './gzipMember';
import { ReconnectSchedule } from './reconnectSchedule';
import { WriteQueue } from './writeQueue';
import { SenderTelemetry } from '../telemetry/senderTelemetry';
import { OneShotTimer } from '../flow/oneShotTimer';
import { Waiters } from '../flow/waiters';
import { afterClose } from './afterClose';
import { reached, type SenderPhase } from './senderPhase';
import { senderStats } from './senderStats';
import { FIRST_TURN, isProbe, nextTurn, turnEnd, waitsForDrain, type CloseReason, type ConnectionTurn } from './connectionTurn';

export type { DevoSenderOptions, DevoSenderStats } from './devoSenderOptions';

/**
 * The write path to a Devo relay, shared by the sinks of every service of an output: writes are
 * queued in order on one connection ({@link DevoConnection}: mutual TLS, or plain TCP to a syslog relay); each {@link send}
 * returns a {@link DevoReceipt}: `written` on the socket's write callback (a full socket waits for
 * `'drain'`), `delivered` once the relay certainly read the bytes ({@link DeliveryConfirmation}:
 * its EOF answered our half-close, or a resend window was written after them). The connection is
 * cycled to confirm what waited `confirmAfterMs`, when idle, every `recycleAfterMs`, and, once
 * {@link drain} or {@link close} is called, as soon as nothing is being written; it is replaced
 * with backoff when it fails ({@link ReconnectSchedule}), and what it had not delivered is
 * written again on the next (docs/ARCHITECTURE.md, "Delivery, state and guarantees").
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
  private readonly reconnects: ReconnectSchedule;
  private o: ResolvedSenderOptions;
  private readonly telemetry: SenderTelemetry;

  private readonly queue = new WriteQueue();
  private readonly confirmation: DeliveryConfirmation;
  private connection: DevoConnection | undefined;
  /** Where `connection` is in its turn: writing, waiting for `'drain'`, confirming, closing. */
  private turn: ConnectionTurn = FIRST_TURN;
  private readonly idleTimer: OneShotTimer;
  /** The sender's life: open, draining, closing, closed. */
  private phase: SenderPhase = 'open';
  private closePromise: Promise<void> | undefined;
  /** Woken once nothing is queued, being written or undelivered, or the last connection closed. */
  private readonly settled: Waiters;

  constructor(private readonly options: DevoSenderOptions) {
    this.logger = options.logger ?? silentLogger;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.o = resolveSenderOptions(options, this.logger, this.scheduler);
    this.settled = new Waiters(this.scheduler);
    this.idleTimer = new OneShotTimer(this.scheduler);
    this.reconnects = new ReconnectSchedule({ ...this.o, scheduler: this.scheduler, random: options.random ?? Math.random, logger: this.logger }, (probe) => {
      if (this.connection === undefined && !reached(this.phase, 'closed') && !(probe && reached(this.phase, 'closing'))) this.connect(probe);
    });
    this.telemetry = options.telemetry ?? new SenderTelemetry(() => this.scheduler.now());
    this.telemetry.queuedLines = () => this.queue.queuedLines;
    this.telemetry.unconfirmedBytes = () => this.confirmation.bytes;
    this.confirmation = new DeliveryConfirmation({
      ...this.o,
      scheduler: this.scheduler,
      requestConfirmingClose: () => this.requestConfirmingClose(),
      onChange: () => this.checkIdle(),
      onDelivered: () => this.telemetry.confirmed(),
    });
  }

  /** Counters since creation. */
  get stats(): DevoSenderStats {
    return senderStats(this.telemetry, this.queue, this.confirmation);
  }

  /**
   * Opens the connection now rather than with the first write, so that a bad certificate or an
   * unreachable relay is reported at start, and the first events do not wait for the handshake.
   * An idle connection still closes after `idleTimeoutMs`.
   */
  open(): void {
    if (this.connection === undefined && !this.reconnects.waiting && !reached(this.phase, 'closing')) this.connect();
  }

  /**
   * Queues `data` (whole syslog lines; one gzip member of them with `gzipLevel`). See {@link DevoReceipt} for what its two promises mean;
   * both reject with `DEVO_SENDER_CLOSED` when the sender is closing or closes first.
   * `options.onRelease` is called once the sender no longer holds `data` (it keeps undelivered writes, to write them
   * again if the connection is lost), so that the caller can reuse its memory.
   */
  send(data: Buffer, options: SendOptions = {}): DevoReceipt {
    const write = batchWrite(data, this.scheduler.now(), options, this.o.gzipLevel);
    if (reached(this.phase, 'closing')) {
      failWrite(write, new CollectorError('DEVO_SENDER_CLOSED', 'The Devo sender is closed; nothing more can be sent.'));
    } else {
      this.queue.push(write);
      this.idleTimer.cancel();
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
    if (this.phase === 'open') this.phase = 'draining';
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
    this.phase = 'closing';
    this.idleTimer.cancel();
    this.checkIdle();
    if (!this.isSettled()) await this.settled.wait(timeoutMs);
    this.phase = 'closed';
    this.reconnects.cancel();
    const connection = this.connection;
    if (connection !== undefined) {
      const closed = this.settled.wait();
      if (connection.isOpen) this.closeGracefully('shutdown', Math.max(0, deadline - this.scheduler.now()));
      else if (!connection.isClosing) connection.destroy();
      await closed;
    }
    abandonWrites([...this.confirmation.takeAll(), ...this.queue.takeAll()], this.logger);
  }

  private isSettled(): boolean {
    return this.queue.isIdle && this.confirmation.isEmpty;
  }

  private kick(): void {
    if (this.connection?.isOpen === true) this.pump();
    else if (this.connection === undefined && !this.reconnects.waiting && this.queue.hasQueued && !reached(this.phase, 'closed')) this.connect();
  }

  private connect(probe = false): void {
    let connection: DevoConnection;
    try {
      const fresh = this.options.reloadCredentials?.();
      if (fresh !== undefined) this.o = { ...this.o, connection: { ...this.o.connection, ...fresh } };
      connection = DevoConnection.open(this.o.connection, {
        onOpen: () => this.onOpen(connection),
        onDrain: () => {
          if (connection !== this.connection) return;
          this.turn = nextTurn(this.turn, { type: 'drained' });
          this.pump();
        },
        onError: (error) => {
          if (connection === this.connection) this.report(error);
        },
        onClose: (end) => this.onClose(connection, end),
      });
    } catch (err) {
      this.report(err as CollectorError);
      this.telemetry.failed();
      this.reconnects.failed();
      this.reconnects.retry();
      return;
    }
    this.connection = connection;
    this.turn = nextTurn(this.turn, { type: 'connect', probe });
  }

  private onOpen(connection: DevoConnection): void {
    if (connection !== this.connection) return;
    const turn = this.turn;
    this.turn = nextTurn(turn, { type: 'opened' });
    this.telemetry.opened(this.isSettled());
    this.confirmation.opened();
    this.logger[turn.state === 'connecting' && turn.planned ? 'debug' : 'info'](`Connected to ${connection.peer}`);
    this.pump();
    // The relay is reachable: that was all a probe had to learn.
    if (isProbe(turn) && this.isSettled()) this.closeGracefully('probe');
    else this.checkIdle();
  }

  private pump(): void {
    const connection = this.connection;
    if (connection === undefined || !connection.isOpen) return;
    if (connection.age >= this.o.recycleAfterMs && this.queue.hasQueued) {
      this.closeGracefully('recycle');
      return;
    }
    while (this.turn.state === 'writing') {
      const write = this.queue.next();
      if (write === undefined) break;
      if (!connection.write(write.data, () => this.onWritten(connection, write))) this.turn = nextTurn(this.turn, { type: 'full' });
    }
  }

  private onWritten(connection: DevoConnection, write: PendingWrite): void {
    if (connection !== this.connection || !this.queue.written(write)) return;
    this.confirmation.written(write);
    this.telemetry.written(write.writtenAt - write.queuedAt, write.data.length, write.lines, write.plainBytes);
    if (this.turn.state === 'confirming-when-written' && !this.queue.hasInflight) this.closeGracefully('confirm');
    this.checkIdle();
  }

  /** Half-closes to confirm what was written, at once, or once the socket took what it holds. */
  private requestConfirmingClose(): void {
    if (this.connection?.isOpen !== true) return;
    if (waitsForDrain(this.turn) || this.queue.hasInflight) this.turn = nextTurn(this.turn, { type: 'confirm' });
    else this.closeGracefully('confirm');
  }

  /**
   * When nothing is queued or being written: wakes `close()` if nothing is undelivered either,
   * half-closes at once to confirm what is if draining, and arms the idle timer.
   */
  private checkIdle(): void {
    if (!this.queue.isIdle) return;
    const open = this.connection?.isOpen === true;
    if (this.confirmation.isEmpty) this.settled.wakeAll();
    else if (reached(this.phase, 'draining') && open) {
      this.confirmation.confirmNow();
      return;
    }
    if (!reached(this.phase, 'closing') && open)
      this.idleTimer.arm(this.o.idleTimeoutMs, () => {
        if (this.queue.isIdle) this.closeGracefully('idle');
      });
  }

  /** Half-closes; the EOF is awaited while the relay reads (at most `maxWaitMs`), then given up `closeTimeoutMs` after its last read. */
  private closeGracefully(reason: CloseReason, maxWaitMs = Number.POSITIVE_INFINITY): void {
    const connection = this.connection;
    if (connection === undefined || !connection.isOpen) return;
    this.logger.debug(`Closing the Devo connection (${reason}): half-close and wait for EOF`);
    this.idleTimer.cancel();
    this.turn = nextTurn(this.turn, { type: 'halfClose', reason });
    this.confirmation.closing();
    const stalledMs = Math.min(this.o.closeTimeoutMs, maxWaitMs);
    connection.halfClose(stalledMs, maxWaitMs, (waitedMs) => {
      // Stopping: a relay that does not answer would only get the same data again; give up.
      if (reached(this.phase, 'closing')) this.phase = 'closed';
      this.logger.warn(
        `The Devo relay sent no EOF ${waitedMs} ms after our half-close (it read nothing in the last ${stalledMs} ms); closing anyway (what it did not confirm is ${reached(this.phase, 'closed') ? 'not committed' : 'written again'})`,
      );
    });
  }

  private onClose(connection: DevoConnection, end: DevoConnectionEnd): void {
    if (connection !== this.connection) return;
    this.idleTimer.cancel();
    const { clean, answered } = turnEnd(this.turn, end, this.queue.hasInflight, this.o.probationMs);
    this.connection = undefined;
    this.turn = nextTurn(this.turn, { type: 'closed', clean });
    const resend = this.confirmation.closed(clean);
    this.telemetry.ended(clean, end);
    if (clean) this.reconnects.succeeded();
    else {
      this.reconnects.failed(end.lived);
      const resendBytes = bytesOf(resend);
      if (resendBytes > 0 && !reached(this.phase, 'closed')) {
        this.telemetry.bytesResent += resendBytes;
        this.logger.warn(`Re-sending the last ${resendBytes} bytes written on the lost connection (the relay may not have read them)`);
      }
      this.queue.requeue(resend);
    }
    const next = afterClose(answered, this.queue.hasQueued, this.phase);
    if (next === 'write') this.kick();
    else if (next === 'retry') this.reconnects.retry();
    else this.settled.wakeAll();
    if (next === 'probe') this.reconnects.probe();
  }

  private report(error: CollectorError): void {
    this.logger.problem(error.code, error.message);
    this.telemetry.problem(error.code, error.message);
    this.options.onError?.(error);
  }
}
