import { createWriteStream, type WriteStream } from 'node:fs';
import * as net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import * as tls from 'node:tls';
import { createGunzip } from 'node:zlib';
import { boundPort, startListening } from './listenOn';

/** Options of {@link DevoReceiver.start}. */
export interface DevoReceiverOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0: any free port (see {@link DevoReceiver.port}). */
  readonly port?: number;
  /**
   * Plain TCP, as a Devo In-House Relay's port 13000 or rsyslog `imtcp` (no TLS: `ca`, `cert` and
   * `key` are not used). Default false: TLS with a client certificate, as Devo's relays.
   */
  readonly plain?: boolean;
  /** TLS: require a client certificate signed by `ca`. Default true (false: a syslog relay over TLS that asks for none). */
  readonly requireClientCert?: boolean;
  /** PEM of the CA whose client certificates are accepted (TLS). */
  readonly ca?: string;
  /** PEM of the receiver's own certificate and key (TLS). */
  readonly cert?: string;
  readonly key?: string;
  /** Called with each received line, without its line break. */
  readonly onLine?: (line: string) => void;
  /** Appends each received line to this file (one line per event). */
  readonly outputFile?: string;
  /** Reads at most this many bytes per second per connection (a slow relay). */
  readonly readBytesPerSecond?: number;
}

/** Counters of a {@link DevoReceiver}. */
export interface DevoReceiverStats {
  readonly connections: number;
  /** TLS versions negotiated, e.g. `['TLSv1.3']` (`plain TCP` for a plain receiver). */
  readonly protocols: readonly string[];
  readonly lines: number;
  /** Bytes read from the connections: what came over the wire (compressed or not). */
  readonly bytes: number;
  /** The lines' bytes once gzip members are inflated (equal to `bytes` when nothing came compressed). */
  readonly bytesInflated: number;
}

/**
 * A Devo-compatible relay: a TLS server that requires a client certificate signed by `ca` (or,
 * `plain`, a plain TCP syslog relay such as a Devo In-House Relay), reads syslog lines and hands
 * each to `onLine` and/or appends it to `outputFile`. A connection whose first bytes are a gzip
 * member (`1f 8b`: Devo's SDK with compression on) is inflated as concatenated members, and both
 * sizes are counted (`bytes` on the wire, `bytesInflated`); a connection that switches between
 * plain lines and members midway is not read (this collector never does that). It answers a client's half-close with its
 * own EOF, as the relay does. Used by `simulate devo`, the demo and the tests.
 *
 * @example
 * const relay = await DevoReceiver.start({ ca, cert, key, onLine: (l) => lines.push(l) });
 * // ... connect a DevoSender to 127.0.0.1:relay.port
 * await relay.stop();
 */
export class DevoReceiver {
  private readonly sockets = new Set<net.Socket>();
  /** Connections paused until the output file drains. */
  private readonly waitingForFile = new Set<net.Socket>();
  private readonly file: WriteStream | undefined;
  private counters = { connections: 0, lines: 0, bytes: 0, bytesInflated: 0 };
  private readonly protocols = new Set<string>();

  private constructor(
    private readonly server: net.Server,
    private readonly options: DevoReceiverOptions,
  ) {
    this.file = options.outputFile === undefined ? undefined : createWriteStream(options.outputFile, { flags: 'a' });
    this.file?.on('drain', () => {
      for (const socket of this.waitingForFile) socket.resume();
      this.waitingForFile.clear();
    });
    if (options.plain === true) server.on('connection', (socket: net.Socket) => this.accept(socket));
    else server.on('secureConnection', (socket: tls.TLSSocket) => this.accept(socket));
    // A rejected client certificate or a bad handshake is the client's problem, not the receiver's.
    server.on('tlsClientError', () => undefined);
  }

  /** Starts listening; resolves once the port is bound. */
  static start(options: DevoReceiverOptions): Promise<DevoReceiver> {
    const clientCert = options.requireClientCert !== false;
    const server =
      options.plain === true
        ? net.createServer()
        : tls.createServer({
            ...(options.ca === undefined ? {} : { ca: options.ca }),
            ...(options.cert === undefined ? {} : { cert: options.cert }),
            ...(options.key === undefined ? {} : { key: options.key }),
            requestCert: clientCert,
            rejectUnauthorized: clientCert,
            minVersion: 'TLSv1.2',
          });
    return startListening(server, () => new DevoReceiver(server, options), options.port, options.host);
  }

  /** The bound port. */
  get port(): number {
    return boundPort(this.server);
  }

  get stats(): DevoReceiverStats {
    return { ...this.counters, protocols: [...this.protocols] };
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    this.counters.connections++;
    this.protocols.add(socket instanceof tls.TLSSocket ? (socket.getProtocol() ?? 'unknown') : 'plain TCP');
    const decoder = new StringDecoder('utf8');
    let pending = '';
    const lines = (data: Buffer) => {
      this.counters.bytesInflated += data.length;
      pending += decoder.write(data);
      let start = 0;
      let nl = pending.indexOf('\n', start);
      while (nl !== -1) {
        this.line(pending.slice(start, nl), socket);
        start = nl + 1;
        nl = pending.indexOf('\n', start);
      }
      pending = pending.slice(start);
    };
    /** Undefined until the first byte tells whether the connection carries gzip members. */
    let read: { write(chunk: Buffer): void; end(): void } | undefined;
    const rate = this.options.readBytesPerSecond;
    let throttle: NodeJS.Timeout | undefined;
    const take = (chunk: Buffer) => {
      this.counters.bytes += chunk.length;
      read ??= chunk[0] === 0x1f ? this.inflater(socket, lines) : { write: lines, end: () => socket.end() };
      read.write(chunk);
    };
    if (rate !== undefined && rate > 0) {
      // A steady slow link: at most rate/20 bytes every 50 ms, however large the chunks TLS hands up
      // (the stream stays paused, so TCP holds the rest back).
      throttle = setInterval(() => {
        let budget = Math.ceil(rate / 20);
        while (budget > 0 && socket.readableLength > 0) {
          const chunk = socket.read(Math.min(budget, socket.readableLength)) as Buffer | null;
          if (chunk === null) break;
          budget -= chunk.length;
          take(chunk);
        }
        // Lets the stream see its EOF once everything before it was read.
        if (socket.readableLength === 0) socket.read(0);
      }, 50);
    } else socket.on('data', take);
    // The client's half-close is answered with EOF once everything it sent was read (and inflated).
    socket.on('end', () => (read === undefined ? socket.end() : read.end()));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearInterval(throttle);
      this.sockets.delete(socket);
    });
  }

  /** Inflates a connection's gzip members (concatenated: one per flush) into `lines`; a broken one closes it. */
  private inflater(socket: net.Socket, lines: (data: Buffer) => void): { write(chunk: Buffer): void; end(): void } {
    const gunzip = createGunzip();
    gunzip.on('data', lines);
    gunzip.on('end', () => socket.end());
    // A member cut by a lost connection, or bytes that are not gzip: that connection is done.
    gunzip.on('error', () => socket.destroy());
    // What arrived is inflated even once the socket is gone (a client's end can close it before the inflater caught up).
    socket.on('close', () => gunzip.end());
    return { write: (chunk) => gunzip.write(chunk), end: () => gunzip.end() };
  }

  private line(text: string, socket: net.Socket): void {
    this.counters.lines++;
    this.options.onLine?.(text);
    if (this.file !== undefined && !this.file.write(`${text}\n`)) {
      socket.pause();
      this.waitingForFile.add(socket);
    }
  }

  /**
   * Closes the open connections but keeps listening: `abrupt` destroys them (a crash: unread
   * data is lost), otherwise they are ended (EOF) as a relay's idle timeout does.
   */
  disconnectAll(options: { abrupt?: boolean } = {}): void {
    for (const socket of this.sockets) {
      if (options.abrupt === true) socket.destroy();
      else socket.end();
    }
  }

  /**
   * Stops listening. `abrupt` destroys open connections at once (a relay crash: unread data is
   * lost, clients see a reset); otherwise open connections are ended and awaited.
   */
  async stop(options: { abrupt?: boolean } = {}): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) {
      if (options.abrupt === true) socket.destroy();
      else socket.end();
    }
    await closed;
    if (this.file !== undefined) await new Promise<void>((resolve) => this.file!.end(() => resolve()));
  }
}
