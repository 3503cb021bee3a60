import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { CollectorError, errorMessage } from '../errors/collectorError';
import { Deferred } from '../flow/deferred';
import { silentLogger, type Logger } from '../log/logger';
import { describeTlsError, type DevoSettingNames } from './describeTlsError';
import type { DevoReceipt, DevoWriter } from './devoWriter';
import { failWrite, ResendWindow, type PendingWrite } from './resendWindow';

/** Options of a {@link DevoSender}. */
export interface DevoSenderOptions {
  /** Devo relay host (`collector-us.devo.io`); the server certificate must match it. */
  readonly host: string;
  readonly port: number;
  /** PEM of the CA chain that signs the relay's certificate (`chain`). */
  readonly ca: string | Buffer;
  /** PEM of the domain's client certificate (`cert`). */
  readonly cert: string | Buffer;
  /** PEM of the client certificate's private key (`key`). */
  readonly key: string | Buffer;
  readonly passphrase?: string;
  /**
   * Verify the relay's certificate against `ca` and its host name. Default true; false is only
   * for lab relays, and the caller must warn loudly (the runner does, at every start).
   */
  readonly verifyServer?: boolean;
  /** Setting names for error messages (default: the bare option names). */
  readonly settings?: Partial<DevoSettingNames>;
  /** Give up a connection attempt after this long. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Close a connection idle this long, before the relay does (it closes at about 30 s). Default 25 s. */
  readonly idleTimeoutMs?: number;
  /** Replace a connection this old (Devo's SDK recycles hourly). Default 1 hour. */
  readonly recycleAfterMs?: number;
  /** After half-closing, wait this long for the relay's EOF. Default 5 s. */
  readonly closeTimeoutMs?: number;
  /** First reconnect delay; doubles per consecutive failure, with jitter. Default 500 ms. */
  readonly backoffInitialMs?: number;
  /** Longest reconnect delay. Default 30 s. */
  readonly backoffMaxMs?: number;
  /** A connection that lived this long resets the backoff. Default 10 s. */
  readonly healthyAfterMs?: number;
  /**
   * A connection counts as able to deliver only once it has lived this long: in TLS 1.3 a relay
   * rejects a client certificate after the handshake, and what was written before the rejection
   * was never read. Default 500 ms (a round trip to a relay is far less).
   */
  readonly probationMs?: number;
  /**
   * Bytes of the latest writes held, undelivered, per connection: a write is delivered once this
   * much was written after it (no socket buffer holds that much), and re-sent on the next
   * connection when this one is lost first. Bounds the duplicates a relay crash causes. Default 8 MiB.
   */
  readonly resendWindowBytes?: number;
  /**
   * Longest time a write waits for its delivery to be confirmed: when the oldest undelivered write
   * is this old, the connection is closed gracefully (half-close; the relay's EOF confirms it) and
   * a new one opened. Bounds how much a crash of this process re-sends at low rates (above
   * `resendWindowBytes` per this period, the volume confirms first). Default 10 s.
   */
  readonly confirmAfterMs?: number;
  readonly logger?: Logger;
  /** Called with each connection error (already logged). */
  readonly onError?: (error: CollectorError) => void;
  readonly scheduler?: SchedulerLike;
  /** Source of jitter, for tests. Default `Math.random`. */
  readonly random?: () => number;
}

/** Counters of a {@link DevoSender}. */
export interface DevoSenderStats {
  /** Connections established (TLS handshake done). */
  readonly connections: number;
  /** Connections lost without a clean EOF. */
  readonly connectionsLost: number;
  /** Bytes taken by the socket (write callbacks). */
  readonly bytesWritten: number;
  /** Bytes confirmed read by the relay. */
  readonly bytesDelivered: number;
  /** Bytes written again after a lost connection. */
  readonly bytesResent: number;
  /** Bytes waiting to be written (held back while the socket is full). */
  readonly bytesQueued: number;
  /** Bytes handed to the socket whose write callback has not fired yet. */
  readonly bytesInFlight: number;
  /** Bytes written but not yet confirmed read (the resend window). */
  readonly bytesUnconfirmed: number;
}

type State = 'idle' | 'connecting' | 'open' | 'closing';
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
  private readonly settings: DevoSettingNames;
  private readonly scheduler: SchedulerLike;
  private readonly random: () => number;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly recycleAfterMs: number;
  private readonly closeTimeoutMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly healthyAfterMs: number;
  private readonly probationMs: number;
  private readonly confirmAfterMs: number;

  private queue: PendingWrite[] = [];
  private inflight: PendingWrite[] = [];
  private readonly window: ResendWindow;
  private queuedBytes = 0;
  private socket: tls.TLSSocket | undefined;
  private state: State = 'idle';
  private connectedAt = 0;
  private gotEof = false;
  private waitingDrain = false;
  private failures = 0;
  /** The last connection ended as planned: the next one is logged at debug level. */
  private plannedReconnect = false;
  private retryTimer: Subscription | undefined;
  private idleTimer: Subscription | undefined;
  private socketTimer: Subscription | undefined;
  private probationTimer: Subscription | undefined;
  private confirmTimer: Subscription | undefined;
  /** Confirm by half-close as soon as nothing is being written (the pipelines are stopping). */
  private draining = false;
  private shuttingDown = false;
  /** The last connection is closing: no reconnect, no write. */
  private finalClose = false;
  private closePromise: Promise<void> | undefined;
  private settledWaiters: Array<() => void> = [];
  private counters = { connections: 0, connectionsLost: 0, bytesWritten: 0, bytesDelivered: 0, bytesResent: 0 };

  constructor(private readonly options: DevoSenderOptions) {
    this.logger = options.logger ?? silentLogger;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.random = options.random ?? Math.random;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 25_000;
    this.recycleAfterMs = options.recycleAfterMs ?? 3_600_000;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    this.backoffInitialMs = options.backoffInitialMs ?? 500;
    this.backoffMaxMs = options.backoffMaxMs ?? 30_000;
    this.healthyAfterMs = options.healthyAfterMs ?? 10_000;
    this.probationMs = options.probationMs ?? 500;
    this.confirmAfterMs = options.confirmAfterMs ?? 10_000;
    this.window = new ResendWindow(options.resendWindowBytes ?? 8 * 1024 * 1024);
    const where = `${options.host}:${options.port}`;
    this.settings = {
      address: options.settings?.address ?? `address (${where})`,
      chain: options.settings?.chain ?? 'chain',
      cert: options.settings?.cert ?? 'cert',
      key: options.settings?.key ?? 'key',
    };
  }

  /** Counters since creation. */
  get stats(): DevoSenderStats {
    return {
      ...this.counters,
      bytesQueued: this.queuedBytes,
      bytesInFlight: this.inflight.reduce((sum, e) => sum + e.data.length, 0),
      bytesUnconfirmed: this.window.bytes,
    };
  }

  /**
   * Opens the connection now rather than with the first write, so that a bad certificate or an
   * unreachable relay is reported at start, and the first events do not wait for the handshake.
   * An idle connection still closes after `idleTimeoutMs`.
   */
  open(): void {
    if (this.state === 'idle' && this.retryTimer === undefined && !this.shuttingDown) this.connect();
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
      this.queuedBytes += data.length;
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
    if (this.socket !== undefined) {
      const socket = this.socket;
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      if (this.state === 'open') this.closeGracefully('shutdown', Math.max(0, deadline - this.scheduler.now()));
      else if (this.state !== 'closing') socket.destroy();
      await closed;
    }
    const left = [...this.window.takeAll(), ...this.inflight, ...this.queue];
    this.queue = [];
    this.inflight = [];
    this.queuedBytes = 0;
    if (left.length > 0) {
      const bytes = left.reduce((sum, w) => sum + w.data.length, 0);
      this.logger.warn(
        `DEVO_SENDER_CLOSED: closing with ${left.length} batch(es) (${bytes} bytes) the relay did not confirm reading; their cursors are not committed, so they are pulled again on the next start`,
      );
    }
    const error = new CollectorError('DEVO_SENDER_CLOSED', 'The Devo sender closed before the relay confirmed reading this batch.');
    for (const write of left) failWrite(write, error);
  }

  /** Resolves once nothing is queued, being written or undelivered, or after `timeoutMs`. */
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
    return this.queue.length === 0 && this.inflight.length === 0 && this.window.length === 0;
  }

  private kick(): void {
    if (this.state === 'open') this.pump();
    else if (this.state === 'idle' && this.retryTimer === undefined && this.queue.length > 0 && !this.finalClose) this.connect();
  }

  private connect(): void {
    const { host, port } = this.options;
    this.state = 'connecting';
    this.gotEof = false;
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect({
        host,
        port,
        servername: isIP(host) === 0 ? host : undefined,
        ca: this.options.ca,
        cert: this.options.cert,
        key: this.options.key,
        passphrase: this.options.passphrase,
        minVersion: 'TLSv1.2',
        rejectUnauthorized: this.options.verifyServer !== false,
        ...(this.options.verifyServer === false ? { checkServerIdentity: () => undefined } : {}),
      });
    } catch (err) {
      this.report(
        new CollectorError(
          'DEVO_CERT_INVALID',
          `Cannot use the client certificate in ${this.settings.cert} with the key in ${this.settings.key}: ${errorMessage(err)}`,
          { cause: err },
        ),
      );
      this.state = 'idle';
      this.failures++;
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.setNoDelay(true);
    this.socketTimer = this.scheduler.schedule(() => {
      socket.destroy(
        new CollectorError('DEVO_CONNECT_TIMEOUT', `No TLS handshake with ${this.settings.address} within ${this.connectTimeoutMs} ms`),
      );
    }, this.connectTimeoutMs);
    socket.once('secureConnect', () => {
      if (socket !== this.socket) return;
      this.socketTimer?.unsubscribe();
      this.state = 'open';
      this.connectedAt = this.scheduler.now();
      this.counters.connections++;
      const text = `Connected to Devo at ${host}:${port} (${socket.getProtocol() ?? 'TLS'})`;
      if (this.plannedReconnect) this.logger.debug(text);
      else this.logger.info(text);
      this.pump();
      this.checkIdle();
    });
    // Devo sends nothing; reading keeps EOF, resets and TLS alerts visible.
    socket.on('data', () => undefined);
    socket.on('drain', () => {
      if (socket !== this.socket) return;
      this.waitingDrain = false;
      this.pump();
    });
    socket.on('end', () => {
      if (socket !== this.socket) return;
      this.gotEof = true;
      if (this.state !== 'closing' && !this.suspectRejectedCertificate('closed the connection (EOF)')) {
        this.logger.warn(`DEVO_CONNECTION_LOST: the Devo relay at ${host}:${port} closed the connection (EOF); reconnecting`);
      }
      socket.destroy();
    });
    socket.on('error', (err) => {
      if (socket !== this.socket) return;
      if (this.state === 'closing' && this.gotEof) return;
      const described = err instanceof CollectorError ? err : describeTlsError(err, this.settings);
      if (described.code !== 'DEVO_CONNECT_FAILED' || this.state !== 'open') {
        this.report(described);
      } else if (!this.suspectRejectedCertificate(`reset the connection (${errorMessage(err)})`)) {
        this.report(
          new CollectorError('DEVO_CONNECTION_LOST', `The connection to the Devo relay at ${this.settings.address} broke: ${errorMessage(err)}; reconnecting`, {
            cause: err,
          }),
        );
      }
    });
    socket.on('close', () => this.onClose(socket));
  }

  private pump(): void {
    const socket = this.socket;
    if (socket === undefined || this.state !== 'open') return;
    if (this.scheduler.now() - this.connectedAt >= this.recycleAfterMs && this.queue.length > 0) {
      this.closeGracefully('recycle');
      return;
    }
    while (!this.waitingDrain && this.queue.length > 0) {
      const write = this.queue.shift()!;
      this.queuedBytes -= write.data.length;
      this.inflight.push(write);
      const ok = socket.write(write.data, (err) => {
        if (err === null || err === undefined) this.onWritten(socket, write);
      });
      if (!ok) this.waitingDrain = true;
    }
  }

  private onWritten(socket: tls.TLSSocket, write: PendingWrite): void {
    if (socket !== this.socket) return;
    const index = this.inflight.indexOf(write);
    if (index === -1) return;
    this.inflight.splice(index, 1);
    this.counters.bytesWritten += write.data.length;
    write.writtenAt = this.scheduler.now();
    write.written.resolve();
    this.window.add(write);
    if (this.onProbation()) this.afterProbation();
    else this.deliverByVolume();
    this.armConfirm();
    this.checkIdle();
  }

  /** True while the open connection is younger than `probationMs` (it cannot confirm anything yet). */
  private onProbation(): boolean {
    return this.scheduler.now() - this.connectedAt < this.probationMs;
  }

  /** Runs the delivery checks again when the connection's probation ends. */
  private afterProbation(): void {
    const socket = this.socket;
    this.probationTimer ??= this.scheduler.schedule(
      () => {
        this.probationTimer = undefined;
        if (socket !== this.socket || this.state !== 'open') return;
        this.deliverByVolume();
        this.armConfirm();
        this.checkIdle();
      },
      Math.max(0, this.connectedAt + this.probationMs - this.scheduler.now()),
    );
  }

  /** Half-closes now so that the relay's EOF confirms the connection's writes (after its probation). */
  private confirmNow(): void {
    if (this.state !== 'open') return;
    if (this.onProbation()) this.afterProbation();
    else this.closeGracefully('confirm');
  }

  private deliverByVolume(): void {
    const before = this.window.bytes;
    this.window.deliverByVolume();
    this.counters.bytesDelivered += before - this.window.bytes;
    if (this.isSettled()) this.wakeSettled();
  }

  /** Closes the connection gracefully once its oldest undelivered write has waited `confirmAfterMs`. */
  private armConfirm(): void {
    const oldest = this.window.oldestWrittenAt;
    if (this.confirmTimer !== undefined || oldest === undefined || this.state !== 'open') return;
    this.confirmTimer = this.scheduler.schedule(
      () => {
        this.confirmTimer = undefined;
        const current = this.window.oldestWrittenAt;
        if (this.state !== 'open' || current === undefined) return;
        if (this.scheduler.now() - current >= this.confirmAfterMs) this.confirmNow();
        else this.armConfirm();
      },
      Math.max(0, oldest + this.confirmAfterMs - this.scheduler.now()),
    );
  }

  /**
   * When nothing is queued or being written: wakes `close()` if nothing is undelivered either,
   * half-closes at once to confirm what is if draining, and arms the idle timer.
   */
  private checkIdle(): void {
    if (this.queue.length > 0 || this.inflight.length > 0) return;
    if (this.window.length === 0) this.wakeSettled();
    else if (this.draining && this.state === 'open') {
      this.confirmNow();
      return;
    }
    if (!this.shuttingDown && this.idleTimer === undefined && this.state === 'open') {
      this.idleTimer = this.scheduler.schedule(() => {
        this.idleTimer = undefined;
        if (this.queue.length === 0 && this.inflight.length === 0) this.closeGracefully('idle');
      }, this.idleTimeoutMs);
    }
  }

  private wakeSettled(): void {
    for (const waiter of this.settledWaiters.splice(0)) waiter();
  }

  private closeGracefully(reason: CloseReason, eofTimeoutMs = this.closeTimeoutMs): void {
    const socket = this.socket;
    if (socket === undefined || this.state !== 'open') return;
    this.logger.debug(`Closing the Devo connection (${reason}): half-close and wait for EOF`);
    this.state = 'closing';
    this.idleTimer?.unsubscribe();
    this.idleTimer = undefined;
    this.confirmTimer?.unsubscribe();
    this.confirmTimer = undefined;
    socket.end();
    this.socketTimer = this.scheduler.schedule(() => {
      // Stopping: a relay that does not answer would only get the same data again; give up.
      if (this.shuttingDown) this.finalClose = true;
      this.logger.warn(
        `The Devo relay sent no EOF within ${eofTimeoutMs} ms of our half-close; closing anyway (what it did not confirm is ${this.finalClose ? 'not committed' : 'written again'})`,
      );
      socket.destroy();
    }, eofTimeoutMs);
  }

  private onClose(socket: tls.TLSSocket): void {
    if (socket !== this.socket) return;
    for (const timer of [this.socketTimer, this.idleTimer, this.probationTimer, this.confirmTimer]) timer?.unsubscribe();
    this.socketTimer = this.idleTimer = this.probationTimer = this.confirmTimer = undefined;
    const wasOpen = this.state === 'open' || this.state === 'closing';
    const lived = wasOpen ? this.scheduler.now() - this.connectedAt : 0;
    // An EOF answering our half-close means the relay read everything, unless the connection is
    // so young that the EOF may be a rejection of the client certificate.
    const clean = this.state === 'closing' && this.gotEof && this.inflight.length === 0 && lived >= this.probationMs;
    this.socket = undefined;
    this.waitingDrain = false;
    this.state = 'idle';
    this.plannedReconnect = clean;
    if (clean) {
      this.failures = 0;
      this.counters.bytesDelivered += this.window.bytes;
      this.window.deliverAll();
    } else {
      if (wasOpen) this.counters.connectionsLost++;
      this.failures = lived >= this.healthyAfterMs ? 1 : this.failures + 1;
      const resend = this.window.takeAll();
      const resendBytes = resend.reduce((sum, w) => sum + w.data.length, 0);
      if (resendBytes > 0 && !this.finalClose) {
        this.counters.bytesResent += resendBytes;
        this.logger.warn(`Re-sending the last ${resendBytes} bytes written on the lost connection (the relay may not have read them)`);
      }
      const requeue = [...resend, ...this.inflight];
      for (const w of requeue) this.queuedBytes += w.data.length;
      this.queue = [...requeue, ...this.queue];
    }
    this.inflight = [];
    if (this.queue.length === 0 || this.finalClose) {
      this.wakeSettled();
      return;
    }
    if (clean) this.kick();
    else this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.retryTimer !== undefined || this.finalClose) return;
    const exp = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** Math.max(0, this.failures - 1));
    const delay = Math.round(exp / 2 + (exp / 2) * this.random());
    this.logger.info(`Reconnecting to Devo in ${delay} ms (attempt ${this.failures + 1})`);
    this.retryTimer = this.scheduler.schedule(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
  }

  /**
   * In TLS 1.3 the relay checks the client certificate after the client considers the handshake
   * done, and a relay that rejects it may just close the socket: no alert reaches us. A relay
   * that closes or resets a connection within `probationMs` of the handshake is reported as a
   * (probable) rejection of the client certificate, which is what it almost always is.
   */
  private suspectRejectedCertificate(what: string): boolean {
    if (this.state !== 'open' || this.scheduler.now() - this.connectedAt >= this.probationMs) return false;
    this.report(
      new CollectorError(
        'DEVO_TLS_CLIENT_CERT_REJECTED',
        `The Devo relay at ${this.settings.address} ${what} right after the TLS handshake: it most likely rejected the client certificate in ${this.settings.cert} with the key in ${this.settings.key}. Download the domain's certificate and key again from Devo (Administration → Credentials → X.509).`,
      ),
    );
    return true;
  }

  private report(error: CollectorError): void {
    this.logger.error(`${error.code}: ${error.message}`);
    this.options.onError?.(error);
  }
}
