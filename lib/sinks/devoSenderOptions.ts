import type { SchedulerLike } from 'rxjs';
import type { CollectorError } from '../errors/collectorError';
import type { Logger } from '../log/logger';
import type { DevoSettingNames } from './describeTlsError';
import type { SenderTelemetry } from '../telemetry/senderTelemetry';
import { DEVO_IDLE_TIMEOUT_MS, DEVO_RECYCLE_AFTER_MS } from './devoDefaults';

/** Options of a `DevoSender`. */
export interface DevoSenderOptions {
  /** Devo relay host (`collector-us.devo.io`); the server certificate must match it. */
  readonly host: string;
  readonly port: number;
  /**
   * `tls` (the default): TLS 1.2+, the relay verified against `ca`, a client certificate when
   * `cert` and `key` are given (Devo requires one). `tcp`: plain TCP, for a syslog relay without
   * TLS (Devo's In-House Relay, rsyslog `imtcp`); `ca`, `cert` and `key` are not used. Both
   * confirm delivery the same way: the relay's EOF answering our half-close.
   */
  readonly transport?: 'tls' | 'tcp';
  /** PEM of the CA chain that signs the relay's certificate (`chain`); required with TLS. */
  readonly ca?: string | Buffer;
  /** PEM of the domain's client certificate (`cert`). */
  readonly cert?: string | Buffer;
  /** PEM of the client certificate's private key (`key`). */
  readonly key?: string | Buffer;
  readonly passphrase?: string;
  /**
   * Asked before every connection: the certificate files as they are now, when they changed
   * since the last call (replaced on disk), else `undefined` (keep `ca`, `cert` and `key`).
   * Replaced certificates are then used without a restart.
   */
  readonly reloadCredentials?: () => { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer } | undefined;
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
  /**
   * While idle (no connection, nothing to send), open a connection this often and close it at
   * once, so that a relay that went down is noticed (readiness) without data to send. Default 30 s.
   */
  readonly idleProbeMs?: number;
  /** Replace a connection this old (Devo's SDK recycles hourly). Default 1 hour. */
  readonly recycleAfterMs?: number;
  /**
   * After half-closing, the relay's EOF is awaited as long as it keeps reading what the socket
   * buffers hold, and given up once it read nothing for this long. Default 5 s.
   */
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
  /**
   * Compress each batch as Devo's Python SDK does: every `send` is written as one complete gzip
   * member (zlib level 0-9), no length prefix or separator. Undefined (the default): lines as
   * they are. Only for a Devo relay: a syslog relay reads plain lines.
   */
  readonly gzipLevel?: number;
  readonly logger?: Logger;
  /** Where the sender reports its connection and writes (metrics, readiness, traces). Default: its own. */
  readonly telemetry?: SenderTelemetry;
  /** Called with each connection error (already logged). */
  readonly onError?: (error: CollectorError) => void;
  readonly scheduler?: SchedulerLike;
  /** Source of jitter, for tests. Default `Math.random`. */
  readonly random?: () => number;
}

/** Counters of a `DevoSender`. */
export interface DevoSenderStats {
  /** Connections established (TLS handshake done). */
  readonly connections: number;
  /** Connections lost without a clean EOF. */
  readonly connectionsLost: number;
  /** Bytes taken by the socket (write callbacks): what went on the wire, compressed or not. */
  readonly bytesWritten: number;
  /** The lines' bytes of those writes before compression (equal to `bytesWritten` without `gzipLevel`). */
  readonly bytesUncompressed: number;
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

/** What a `DevoConnection` needs: the relay and the credentials (as the sender's options give them), and the clock. */
export interface DevoConnectionOptions extends Pick<DevoSenderOptions, 'host' | 'port' | 'ca' | 'cert' | 'key' | 'passphrase'> {
  readonly transport: 'tls' | 'tcp';
  /** False only for lab relays (the caller warns). */
  readonly verifyServer: boolean;
  readonly settings: DevoSettingNames;
  readonly connectTimeoutMs: number;
  /** A close or reset this soon after the handshake is reported as `DEVO_CLOSED_AFTER_HANDSHAKE`. */
  readonly probationMs: number;
  readonly logger: Logger;
  readonly scheduler: SchedulerLike;
}

/** The options with every default applied (see {@link DevoSenderOptions} for each). */
export interface ResolvedSenderOptions {
  readonly idleTimeoutMs: number;
  readonly idleProbeMs: number;
  readonly recycleAfterMs: number;
  readonly closeTimeoutMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly healthyAfterMs: number;
  readonly probationMs: number;
  readonly resendWindowBytes: number;
  readonly confirmAfterMs: number;
  readonly gzipLevel: number | undefined;
  readonly connection: DevoConnectionOptions;
}

/** Applies the defaults of {@link DevoSenderOptions}. */
export function resolveSenderOptions(options: DevoSenderOptions, logger: Logger, scheduler: SchedulerLike): ResolvedSenderOptions {
  const where = `${options.host}:${options.port}`;
  const probationMs = options.probationMs ?? 500;
  return {
    idleTimeoutMs: options.idleTimeoutMs ?? DEVO_IDLE_TIMEOUT_MS,
    idleProbeMs: options.idleProbeMs ?? 30_000,
    recycleAfterMs: options.recycleAfterMs ?? DEVO_RECYCLE_AFTER_MS,
    closeTimeoutMs: options.closeTimeoutMs ?? 5_000,
    backoffInitialMs: options.backoffInitialMs ?? 500,
    backoffMaxMs: options.backoffMaxMs ?? 30_000,
    healthyAfterMs: options.healthyAfterMs ?? 10_000,
    probationMs,
    resendWindowBytes: options.resendWindowBytes ?? 8 * 1024 * 1024,
    confirmAfterMs: options.confirmAfterMs ?? 10_000,
    gzipLevel: options.gzipLevel,
    connection: {
      host: options.host,
      port: options.port,
      transport: options.transport ?? 'tls',
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.cert === undefined ? {} : { cert: options.cert }),
      ...(options.key === undefined ? {} : { key: options.key }),
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
      verifyServer: options.verifyServer !== false,
      settings: {
        address: options.settings?.address ?? `address (${where})`,
        chain: options.settings?.chain ?? 'chain',
        cert: options.settings?.cert ?? 'cert',
        key: options.settings?.key ?? 'key',
        ...(options.settings?.type === undefined ? {} : { type: options.settings.type }),
      },
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      probationMs,
      logger,
      scheduler,
    },
  };
}
