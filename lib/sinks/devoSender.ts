import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { CollectorError, errorMessage } from '../errors/collectorError';
import { silentLogger, type Logger } from '../log/logger';
import { describeTlsError, type DevoSettingNames } from './describeTlsError';

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
   * Writes on a new connection are acknowledged only once it has lived this long: in TLS 1.3 a
   * relay rejects a client certificate after the handshake, and what was written before the
   * rejection must not count as delivered. Default 500 ms (a round trip to a relay is far less).
   */
  readonly probationMs?: number;
  /**
   * Bytes of the latest writes kept per connection and re-sent on a new one when the connection
   * is lost without a clean EOF: a write callback only means the kernel took the bytes, not that
   * the relay read them. Bounds the duplicates a relay crash can cause. Default 8 MiB.
   */
  readonly resendWindowBytes?: number;
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
  /** Bytes acknowledged by write callbacks. */
  readonly bytesWritten: number;
  /** Bytes written again after a lost connection. */
  readonly bytesResent: number;
  /** Bytes waiting to be written (held back while the socket is full). */
  readonly bytesQueued: number;
  /** Bytes handed to the socket whose write callback has not fired yet. */
  readonly bytesInFlight: number;
}

interface Entry {
  readonly data: Buffer;
  resolve?: () => void;
  reject?: (err: Error) => void;
  /** Called once the sender no longer holds `data` (its memory may be reused). */
  release?: () => void;
}

/** Tells the owner of an entry's buffer that the sender is done with it. */
function release(entry: Entry): void {
  const done = entry.release;
  entry.release = undefined;
  done?.();
}

type State = 'idle' | 'connecting' | 'open' | 'closing';

/**
 * One TLS connection to a Devo relay, shared by the sinks of every service of an output. Writes
 * are queued in order; {@link send} resolves on the socket's write callback, and a full socket
 * (`write` returning false) waits for `'drain'`. The connection opens on the first write, is
 * mutual TLS 1.2+ with the server verified against `ca` and the host name, and is replaced with
 * capped exponential backoff and jitter when it fails, when the relay closes it (EOF and resets
 * on the read side are watched), every `recycleAfterMs`, and before the relay's idle timeout.
 * Writes not acknowledged by a lost connection, and the latest acknowledged ones (see
 * `resendWindowBytes`), are written again on the next.
 *
 * @example
 * const sender = new DevoSender({ host: 'collector-us.devo.io', port: 443, ca, cert, key });
 * await sender.send(Buffer.from('<14>2024-05-22T19:10:03.058Z host my.app.tag: hello\n'));
 * await sender.close(); // flush, half-close, wait for the relay's EOF
 */
export class DevoSender {
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
  private readonly resendWindowBytes: number;

  private queue: Entry[] = [];
  private inflight: Entry[] = [];
  private recent: Entry[] = [];
  private recentBytes = 0;
  private queuedBytes = 0;
  private socket: tls.TLSSocket | undefined;
  private state: State = 'idle';
  private connectedAt = 0;
  private gotEof = false;
  private waitingDrain = false;
  private failures = 0;
  private retryTimer: Subscription | undefined;
  private idleTimer: Subscription | undefined;
  private socketTimer: Subscription | undefined;
  private probationTimer: Subscription | undefined;
  /** Writes of this connection waiting for its probation to be acknowledged. */
  private unsettled = 0;
  private shuttingDown = false;
  private closePromise: Promise<void> | undefined;
  private idleWaiters: Array<() => void> = [];
  private counters = { connections: 0, connectionsLost: 0, bytesWritten: 0, bytesResent: 0 };

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
    this.resendWindowBytes = options.resendWindowBytes ?? 8 * 1024 * 1024;
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
   * Queues `data` (whole syslog lines) and resolves once the socket's write callback has taken it.
   * Rejects with `DEVO_SENDER_CLOSED` when the sender is closing or was closed before the data
   * could be written. `onRelease` is called once the sender no longer holds `data` (it keeps the
   * latest writes for a while, to re-send them if the connection is lost), so that the caller
   * can reuse its memory.
   */
  send(data: Buffer, onRelease?: () => void): Promise<void> {
    if (this.shuttingDown) {
      onRelease?.();
      return Promise.reject(new CollectorError('DEVO_SENDER_CLOSED', 'The Devo sender is closed; nothing more can be sent.'));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ data, resolve, reject, ...(onRelease === undefined ? {} : { release: onRelease }) });
      this.queuedBytes += data.length;
      this.idleTimer?.unsubscribe();
      this.idleTimer = undefined;
      this.kick();
    });
  }

  /**
   * Stops taking data, waits up to `flushTimeoutMs` (default 10 s) for what is queued to be
   * written, half-closes the connection and waits for the relay's EOF. Whatever could not be
   * written is rejected with `DEVO_SENDER_CLOSED` (its cursor was not committed, so it is pulled
   * again on the next start).
   */
  close(flushTimeoutMs = 10_000): Promise<void> {
    this.closePromise ??= this.shutdown(flushTimeoutMs);
    return this.closePromise;
  }

  private async shutdown(flushTimeoutMs: number): Promise<void> {
    this.shuttingDown = true;
    this.idleTimer?.unsubscribe();
    await this.whenIdle(flushTimeoutMs);
    if (this.socket !== undefined) {
      const socket = this.socket;
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      if (this.state === 'open') this.closeGracefully('shutdown');
      else if (this.state !== 'closing') socket.destroy();
      await closed;
    }
    this.retryTimer?.unsubscribe();
    this.idleTimer?.unsubscribe();
    const pending = [...this.inflight, ...this.queue];
    this.queue = [];
    this.inflight = [];
    this.queuedBytes = 0;
    const lost = pending.filter((e) => e.reject !== undefined);
    if (lost.length > 0) {
      this.logger.warn(`Closing with ${lost.length} batch(es) not delivered; they are pulled again on the next start`);
    }
    for (const entry of lost) {
      entry.reject?.(new CollectorError('DEVO_SENDER_CLOSED', 'The Devo sender closed before this batch could be written.'));
    }
    for (const entry of [...pending, ...this.recent]) release(entry);
    this.recent = [];
    this.recentBytes = 0;
  }

  private whenIdle(timeoutMs: number): Promise<void> {
    if (this.queue.length === 0 && this.inflight.length === 0 && this.unsettled === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = this.scheduler.schedule(() => resolve(), timeoutMs);
      this.idleWaiters.push(() => {
        timer.unsubscribe();
        resolve();
      });
    });
  }

  private kick(): void {
    if (this.state === 'open') this.pump();
    else if (this.state === 'idle' && this.retryTimer === undefined && this.queue.length > 0) this.connect();
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
      this.logger.info(`Connected to Devo at ${host}:${port} (${socket.getProtocol() ?? 'TLS'})`);
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
      const entry = this.queue.shift()!;
      this.queuedBytes -= entry.data.length;
      this.inflight.push(entry);
      const ok = socket.write(entry.data, (err) => {
        if (err === null || err === undefined) this.onWritten(socket, entry);
      });
      if (!ok) this.waitingDrain = true;
    }
  }

  private onWritten(socket: tls.TLSSocket, entry: Entry): void {
    if (socket !== this.socket) return;
    const index = this.inflight.indexOf(entry);
    if (index === -1) return;
    this.inflight.splice(index, 1);
    this.counters.bytesWritten += entry.data.length;
    this.recent.push(entry);
    this.recentBytes += entry.data.length;
    while (
      this.recent.length > 1 &&
      this.recent[0]!.resolve === undefined &&
      this.recentBytes - this.recent[0]!.data.length >= this.resendWindowBytes
    ) {
      const old = this.recent.shift()!;
      this.recentBytes -= old.data.length;
      release(old);
    }
    const age = this.scheduler.now() - this.connectedAt;
    if (age >= this.probationMs) this.settleRecent();
    else {
      this.unsettled++;
      this.probationTimer ??= this.scheduler.schedule(() => {
        this.probationTimer = undefined;
        if (socket === this.socket) this.settleRecent();
      }, this.probationMs - age);
    }
    this.checkIdle();
  }

  /** Wakes `close()` and arms the idle timer once nothing is queued, in flight or unsettled. */
  private checkIdle(): void {
    if (this.queue.length === 0 && this.inflight.length === 0 && this.unsettled === 0) {
      for (const waiter of this.idleWaiters.splice(0)) waiter();
      if (!this.shuttingDown && this.idleTimer === undefined && this.state === 'open') {
        this.idleTimer = this.scheduler.schedule(() => {
          this.idleTimer = undefined;
          if (this.queue.length === 0 && this.inflight.length === 0) this.closeGracefully('idle');
        }, this.idleTimeoutMs);
      }
    }
  }

  /** Acknowledges, in order, the writes of this connection that were waiting for its probation. */
  private settleRecent(): void {
    this.unsettled = 0;
    for (const entry of this.recent) {
      const resolve = entry.resolve;
      if (resolve === undefined) continue;
      entry.resolve = undefined;
      entry.reject = undefined;
      resolve();
    }
    this.checkIdle();
  }

  private closeGracefully(reason: 'idle' | 'recycle' | 'shutdown'): void {
    const socket = this.socket;
    if (socket === undefined || this.state !== 'open') return;
    this.logger.debug(`Closing the Devo connection (${reason}): half-close and wait for EOF`);
    this.state = 'closing';
    this.idleTimer?.unsubscribe();
    this.idleTimer = undefined;
    socket.end();
    this.socketTimer = this.scheduler.schedule(() => {
      this.logger.warn(`The Devo relay sent no EOF within ${this.closeTimeoutMs} ms of our half-close; closing anyway`);
      socket.destroy();
    }, this.closeTimeoutMs);
  }

  private onClose(socket: tls.TLSSocket): void {
    if (socket !== this.socket) return;
    this.socketTimer?.unsubscribe();
    this.socketTimer = undefined;
    this.idleTimer?.unsubscribe();
    this.idleTimer = undefined;
    this.probationTimer?.unsubscribe();
    this.probationTimer = undefined;
    const wasOpen = this.state === 'open' || this.state === 'closing';
    const lived = wasOpen ? this.scheduler.now() - this.connectedAt : 0;
    // An EOF answering our half-close means the relay read everything, unless the connection is
    // so young that the EOF may be a rejection of the client certificate.
    const clean = this.state === 'closing' && this.gotEof && this.inflight.length === 0 && lived >= this.probationMs;
    this.socket = undefined;
    this.waitingDrain = false;
    this.state = 'idle';
    if (clean) {
      this.failures = 0;
      this.settleRecent();
      for (const entry of this.recent) release(entry);
    } else {
      if (wasOpen) this.counters.connectionsLost++;
      this.failures = lived >= this.healthyAfterMs ? 1 : this.failures + 1;
      const resendBytes = this.recentBytes;
      if (resendBytes > 0) {
        this.counters.bytesResent += resendBytes;
        this.logger.warn(`Re-sending the last ${resendBytes} bytes written on the lost connection (the relay may not have read them)`);
      }
      const requeue = [...this.recent, ...this.inflight];
      for (const e of requeue) this.queuedBytes += e.data.length;
      this.queue = [...requeue, ...this.queue];
    }
    this.inflight = [];
    this.recent = [];
    this.recentBytes = 0;
    this.unsettled = 0;
    if (this.queue.length === 0) {
      for (const waiter of this.idleWaiters.splice(0)) waiter();
      return;
    }
    if (clean) this.kick();
    else this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.retryTimer !== undefined) return;
    if (this.shuttingDown && this.queue.every((e) => e.resolve === undefined)) return;
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
