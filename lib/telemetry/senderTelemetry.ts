import type { ErrorCode } from '../errors/problems';
import type { LastError } from './serviceTelemetry';

/** Upper bounds (seconds) of the batch write latency histogram's buckets. */
export const WRITE_LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30] as const;

/**
 * What a Devo sender reports about its connection and its writes: read by `/metrics`,
 * `/status`, the readiness check and the seeds' sender traces. The sender writes it.
 */
export class SenderTelemetry {
  /** A connection is open now. */
  connected = false;
  /** Connections established since start. */
  connections = 0;
  /** Connections lost without a clean EOF, and failed attempts. */
  failures = 0;
  /** Open connections lost without a clean EOF. */
  connectionsLost = 0;
  /** Bytes written again after a lost connection. */
  bytesResent = 0;
  /**
   * Since when delivering has been failing (UTC ms): set by the first failed attempt or lost
   * connection, cleared only when the relay confirms reading something, or when a connection
   * opens with nothing to deliver; a handshake alone clears nothing (a relay may accept the TLS
   * handshake and reset every connection). Undefined while delivery goes well.
   */
  failingSince: number | undefined;
  /** Syslog lines the socket took since start. */
  linesWritten = 0;
  /** Bytes the socket took: what went on the wire (compressed, when the output compresses). */
  bytesWritten = 0;
  /** The lines' bytes of those writes before compression (equal to `bytesWritten` when nothing is compressed). */
  bytesUncompressed = 0;
  /** Lines queued, not yet handed to the socket (read from the sender). */
  queuedLines: () => number = () => 0;
  /** Bytes written and not yet confirmed read by the relay: the resend window (read from the sender). */
  unconfirmedBytes: () => number = () => 0;
  /** The last problem the sender reported (a failed connection, a refused certificate), for `/status`. */
  lastError: LastError | undefined;
  /** Receives each batch's write latency in seconds (from `send` to the write callback), when set (the metrics' histogram). */
  latencyObserver: ((seconds: number) => void) | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** The sender reported a problem (already logged). */
  problem(code: ErrorCode, message: string): void {
    this.lastError = { code, message, at: this.now() };
  }

  /**
   * A connection completed its handshake. Readiness follows confirmed delivery, not handshakes; but with `nothingToDeliver`,
   * a handshake is all there is to learn (delivery works).
   */
  opened(nothingToDeliver = false): void {
    this.connected = true;
    this.connections++;
    if (nothingToDeliver) this.confirmed();
  }

  /** The relay confirmed reading what was written, or a connection opened with nothing to deliver: delivery works. */
  confirmed(): void {
    this.failingSince = undefined;
  }

  /** The connection closed: `clean` (our half-close answered by EOF, or an idle close) or lost. */
  closed(clean: boolean): void {
    this.connected = false;
    if (!clean) this.failed();
  }

  /**
   * A connection ended: `clean`, the relay's EOF answered our half-close and confirmed what was written (delivery works);
   * otherwise lost (counted in `connectionsLost` if it had opened), but an opened one whose half-close was answered by EOF is no failure.
   */
  ended(clean: boolean, end: { readonly opened: boolean; readonly confirmedByEof: boolean }): void {
    this.closed(clean || (end.confirmedByEof && end.opened));
    if (clean) this.confirmed();
    else if (end.opened) this.connectionsLost++;
  }

  /** A connection attempt failed, or a connection was lost. */
  failed(): void {
    this.failures++;
    this.failingSince ??= this.now();
  }

  /** A batch of `lines` lines, `bytes` bytes (`plainBytes` before compression), was taken by the socket `latencyMs` after `send`. */
  written(latencyMs: number, bytes: number, lines: number, plainBytes = bytes): void {
    this.linesWritten += lines;
    this.bytesWritten += bytes;
    this.bytesUncompressed += plainBytes;
    this.latencyObserver?.(latencyMs / 1000);
  }
}
