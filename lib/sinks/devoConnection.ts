import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Subscription } from 'rxjs';
import { CollectorError, errorMessage } from '../errors/collectorError';
import { describeTlsError } from './describeTlsError';
import type { DevoConnectionOptions } from './devoSenderOptions';
import { kernelSendQueue } from './kernelSendQueue';

/** How a connection ended. */
export interface DevoConnectionEnd {
  /** It completed its TLS handshake (or, plain, its TCP connect). */
  readonly opened: boolean;
  /** ms from the handshake to the close (0 if it never opened). */
  readonly lived: number;
  /** The relay's EOF answered our half-close: it read everything we wrote. */
  readonly confirmedByEof: boolean;
}

/** What a {@link DevoConnection} tells its owner. */
export interface DevoConnectionEvents {
  /** The TLS handshake (plain: the TCP connect) is done: writes go out. */
  readonly onOpen: () => void;
  /** The socket took what was buffered (`write` had returned false). */
  readonly onDrain: () => void;
  /** A connection error, already described with the settings to check (the owner logs it). */
  readonly onError: (error: CollectorError) => void;
  /** The socket closed, however that happened; called once. */
  readonly onClose: (end: DevoConnectionEnd) => void;
}

type State = 'connecting' | 'open' | 'closing' | 'closed';

/** A TLS record header: an alert (21) or a handshake (22), version 3.x. */
function looksLikeTls(chunk: Buffer): boolean {
  return chunk.length >= 2 && (chunk[0] === 21 || chunk[0] === 22) && chunk[1] === 3;
}

/**
 * The life cycle of one mutual-TLS connection to a Devo relay, from connect to close: TLS 1.2+,
 * the relay's certificate verified against `ca` and the host name, a handshake timeout, the read
 * side watched (Devo sends nothing: an EOF, a reset or an alert means the connection is lost),
 * and the graceful close Devo's SDK does: half-close, then wait for the relay's EOF, which
 * confirms that it read everything. It knows nothing of what is written: {@link DevoSender} owns
 * the queue, the resend window and the reconnects.
 *
 * With `transport: 'tcp'` the same life cycle over plain TCP, for a syslog relay (Devo's
 * In-House Relay, rsyslog `imtcp`, which answers a FIN with a FIN): a relay that answers with
 * TLS bytes or closes at once is reported as `SYSLOG_PORT_SPEAKS_TLS`.
 *
 * `open` throws `DEVO_CERT_INVALID` when the certificate and key cannot be used together.
 */
export class DevoConnection {
  private state: State = 'connecting';
  /** Plain: the relay answered with TLS bytes (reported once). */
  private tlsPeer = false;
  private openedAt = 0;
  private gotEof = false;
  private halfClosed = false;
  private timer: Subscription | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: DevoConnectionOptions,
    private readonly events: DevoConnectionEvents,
  ) {}

  /** Starts connecting. */
  static open(options: DevoConnectionOptions, events: DevoConnectionEvents): DevoConnection {
    const { host, port, settings } = options;
    let socket: net.Socket;
    try {
      socket =
        options.transport === 'tcp'
          ? net.connect({ host, port })
          : tls.connect({
              host,
              port,
              servername: net.isIP(host) === 0 ? host : undefined,
              ca: options.ca,
              cert: options.cert,
              key: options.key,
              passphrase: options.passphrase,
              minVersion: 'TLSv1.2',
              rejectUnauthorized: options.verifyServer,
              ...(options.verifyServer ? {} : { checkServerIdentity: () => undefined }),
            });
    } catch (err) {
      throw new CollectorError(
        'DEVO_CERT_INVALID',
        `Cannot use the client certificate in ${settings.cert} with the key in ${settings.key}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    const connection = new DevoConnection(socket, options, events);
    connection.watch();
    return connection;
  }

  /** True once the handshake is done and until a half-close or the close. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isClosing(): boolean {
    return this.state === 'closing';
  }

  /** ms since the handshake (0 before it). */
  get age(): number {
    return this.state === 'connecting' ? 0 : this.options.scheduler.now() - this.openedAt;
  }

  /** What it reaches and how, for the logs: `Devo at host:port (TLSv1.3)`, `the syslog relay at host:port (plain TCP)`. */
  get peer(): string {
    const { transport, host, port } = this.options;
    const protocol = this.socket instanceof tls.TLSSocket ? (this.socket.getProtocol() ?? 'TLS') : 'plain TCP';
    return `${transport === 'tcp' ? 'the syslog relay' : 'Devo'} at ${host}:${port} (${protocol})`;
  }

  /** Writes to the socket; false when its buffer is full (wait for `onDrain`). */
  write(data: Buffer, onWritten: () => void): boolean {
    return this.socket.write(data, (err) => {
      if (err === null || err === undefined) onWritten();
    });
  }

  /**
   * Half-closes (what is buffered is still sent) and waits for the relay's EOF for as long as it
   * keeps reading: the wait ends, the socket destroyed and `onNoEof` called first, only once
   * `eofTimeoutMs` passed with no progress (neither the socket's buffer nor the kernel's send queue,
   * {@link kernelSendQueue}, got smaller), or after `maxWaitMs` in all. A slow relay with MiBs in
   * the socket buffers thus confirms them, however long it takes, while a stalled one is given up
   * after `eofTimeoutMs`.
   */
  halfClose(eofTimeoutMs: number, maxWaitMs: number, onNoEof: (waitedMs: number) => void): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.halfClosed = true;
    this.socket.end();
    const { scheduler } = this.options;
    const started = scheduler.now();
    let lastProgress = started;
    let least = Number.POSITIVE_INFINITY;
    const every = Math.min(1000, Math.max(50, Math.floor(eofTimeoutMs / 5)));
    const check = async (): Promise<void> => {
      const kernel = await kernelSendQueue(this.socket);
      if (this.state !== 'closing') return;
      const held = this.socket.writableLength + (kernel ?? 0);
      const now = scheduler.now();
      if (held < least) {
        if (least !== Number.POSITIVE_INFINITY) lastProgress = now;
        least = held;
      }
      const deadline = Math.min(started + maxWaitMs, lastProgress + eofTimeoutMs);
      if (now >= deadline) {
        onNoEof(now - started);
        this.socket.destroy();
        return;
      }
      this.timer = scheduler.schedule(() => void check(), Math.min(every, deadline - now));
    };
    this.timer = scheduler.schedule(() => void check(), Math.min(every, eofTimeoutMs, maxWaitMs));
  }

  /** Closes at once (what the socket holds is lost). */
  destroy(): void {
    this.socket.destroy();
  }

  private watch(): void {
    const { socket, options, events } = this;
    const plain = options.transport === 'tcp';
    this.timer = options.scheduler.schedule(() => {
      const what = plain ? 'No TCP connection to' : 'No TLS handshake with';
      // A plain syslog port reads a ClientHello as a syslog line and answers nothing.
      const hint = plain
        ? ''
        : `; if it is a plain syslog port (a Devo In-House Relay's 13000, rsyslog imtcp), it does not speak TLS: use type syslog without chain${options.settings.type === undefined ? '' : ` (${options.settings.type})`}`;
      socket.destroy(new CollectorError('DEVO_CONNECT_TIMEOUT', `${what} ${options.settings.address} within ${options.connectTimeoutMs} ms${hint}`));
    }, options.connectTimeoutMs);
    socket.setNoDelay(true);
    socket.once(plain ? 'connect' : 'secureConnect', () => {
      this.timer?.unsubscribe();
      this.state = 'open';
      this.openedAt = options.scheduler.now();
      events.onOpen();
    });
    socket.on('data', (chunk: Buffer) => {
      // A syslog relay sends nothing; TLS bytes mean a TLS port (its alert to our clear text).
      if (plain && this.state !== 'closed' && looksLikeTls(chunk)) {
        this.tlsPeer = true;
        events.onError(this.speaksTls('answered with TLS bytes (a TLS alert)'));
        socket.destroy();
      }
    });
    socket.on('drain', () => events.onDrain());
    socket.on('end', () => {
      this.gotEof = true;
      if (!this.halfClosed && !this.closedAfterHandshake('closed the connection (EOF)')) {
        options.logger.problem('DEVO_CONNECTION_LOST', `the Devo relay at ${options.host}:${options.port} closed the connection (EOF); reconnecting`);
      }
      socket.destroy();
    });
    socket.on('error', (err) => {
      if (this.halfClosed && this.gotEof) return;
      const described = err instanceof CollectorError ? err : describeTlsError(err, options.settings);
      if (described.code !== 'DEVO_CONNECT_FAILED' || this.state !== 'open') events.onError(described);
      else if (!this.closedAfterHandshake(`reset the connection (${errorMessage(err)})`)) {
        events.onError(
          new CollectorError(
            'DEVO_CONNECTION_LOST',
            `The connection to the Devo relay at ${options.settings.address} broke: ${errorMessage(err)}; reconnecting`,
            { cause: err },
          ),
        );
      }
    });
    socket.on('close', () => {
      this.timer?.unsubscribe();
      const opened = this.state !== 'connecting';
      const lived = this.age;
      this.state = 'closed';
      events.onClose({ opened, lived, confirmedByEof: this.halfClosed && this.gotEof });
    });
  }

  /**
   * A relay that closes or resets a connection within `probationMs` of the handshake, without a
   * TLS alert, has confirmed nothing on it: that is what is reported (`DEVO_CLOSED_AFTER_HANDSHAKE`),
   * with what it may mean. A rejected client certificate comes with an alert
   * (`DEVO_TLS_CLIENT_CERT_REJECTED`, from {@link describeTlsError}); an abrupt close may also be
   * a TLS 1.3 relay rejecting it silently, a relay refusing clients (overloaded, restarting), or
   * a proxy in front of it.
   */
  private closedAfterHandshake(what: string): boolean {
    const { options } = this;
    if (this.state !== 'open' || this.age >= options.probationMs) return false;
    if (this.tlsPeer) return true;
    if (options.transport === 'tcp') {
      this.events.onError(
        this.speaksTls(`accepted the connection and ${what} ${this.age} ms later, before confirming anything (as a TLS port does with clear text)`),
      );
      return true;
    }
    this.events.onError(
      new CollectorError(
        'DEVO_CLOSED_AFTER_HANDSHAKE',
        `The Devo relay at ${options.settings.address} accepted the TLS handshake and ${what} ${this.age} ms later, before confirming anything. If it repeats: check that ${options.settings.cert} and ${options.settings.key} are this domain's (a relay may reject a certificate without an alert), and the relay's or proxy's health.`,
      ),
    );
    return true;
  }

  /** `SYSLOG_PORT_SPEAKS_TLS`: a plain connection to what looks like a TLS port. */
  private speaksTls(what: string): CollectorError {
    const { settings } = this.options;
    return new CollectorError(
      'SYSLOG_PORT_SPEAKS_TLS',
      `The relay at ${settings.address} ${what}: it looks like a TLS port: set chain (TLS to a syslog relay) or use type devo_platform${settings.type === undefined ? '' : ` (${settings.type})`}. What it did not confirm is written again.`,
    );
  }
}
