import type { OutputType } from './outputTypes';

/** A file named by a setting, for error messages that say which setting to fix. */
export interface FileSetting {
  /** Absolute path. */
  readonly path: string;
  /** The setting it came from, e.g. `outputs.devo_1.config.cert`. */
  readonly setting: string;
}

/** What every output has: its name and type, the syslog header and the batches. */
export interface OutputBase {
  /** The output's name in the file (`devo_1`). */
  readonly name: string;
  /** Its `type` as written (`devo_platform`, `syslog`, `console`, ...). */
  readonly type: OutputType;
  /** Host name in each syslog header. Default: the machine's host name. */
  readonly hostname: string;
  readonly batch: { readonly maxEvents: number; readonly maxBytes: number; readonly maxDelayMs: number };
  /**
   * Period of the sender statistics traces, ms: `globals.sender_stats_period_in_sec`, else this
   * output's `period_sender_stats_in_seconds` (the global one wins, as in Devo's SDK), else
   * 600 s (Devo's collector documents these traces "every 10 minutes by default").
   */
  readonly senderStatsPeriodMs: number;
}

/** What the outputs with a connection (Devo's and syslog relays) have. */
export interface ConnectionOutputBase extends OutputBase {
  readonly address: string;
  readonly port: number;
  readonly keyPassphrase?: string;
  readonly idleTimeoutMs: number;
  readonly recycleAfterMs: number;
  /** Only for lab relays with self-made certificates; logged as a warning at every start. */
  readonly insecureSkipServerVerification: boolean;
}

/** `devo_platform`, `relay`: the Devo relay the events go to over mutual TLS, with defaults applied. */
export interface DevoOutputConfig extends ConnectionOutputBase {
  readonly kind: 'devo';
  /**
   * Each batch goes as one gzip member at this zlib level (`globals.devo_sender_compression_level`),
   * when `globals.devo_sender_threshold_for_using_gzip_in_transport_layer` is 1 or below; absent: uncompressed.
   */
  readonly gzipLevel?: number;
  readonly chain: FileSetting;
  readonly cert: FileSetting;
  readonly key: FileSetting;
}

/**
 * `in_house_relay`, `syslog`, `sidecar`: a syslog relay (Devo's In-House Relay, rsyslog, ...) over
 * plain TCP, or over TLS when `chain` is set (the relay verified against it; `cert` and `key`,
 * both or neither, for a relay that asks for a client certificate).
 */
export interface SyslogOutputConfig extends ConnectionOutputBase {
  readonly kind: 'syslog';
  readonly chain?: FileSetting;
  readonly cert?: FileSetting;
  readonly key?: FileSetting;
}

/** `console`, `stdout`: each line to standard output (the collector's log then goes to standard error). */
export interface ConsoleOutputConfig extends OutputBase {
  readonly kind: 'console';
}

/** One output, with defaults applied and paths absolute. */
export type OutputConfig = DevoOutputConfig | SyslogOutputConfig | ConsoleOutputConfig;

/** The PoD services. */
export type PodServiceName = 'message' | 'maillog' | 'audit';

export interface PodServiceConfig {
  readonly name: PodServiceName;
  /** Least time between two connections (`period_in_seconds`). */
  readonly periodMs: number;
  readonly tag: string;
  /** `wss://logstream.proofpoint.com:443` unless overridden. */
  readonly urlBase: string;
  /** `start_time`, UTC epoch ms. */
  readonly startTime?: number;
  /** Memory bound of the 1-hour de-dup window, bytes (`dedup_max_size_in_mb`). */
  readonly dedupMaxBytes: number;
  /** Key-count bound of the de-dup window, if set (`dedup_max_keys`). */
  readonly dedupMaxKeys?: number;
  /**
   * Largest event delivered, bytes (`max_event_size_in_mb`): a larger frame is dead-lettered as
   * `POD_EVENT_TOO_LARGE` (its head, size and sha256), so one frame's cost stays bounded.
   */
  readonly maxEventBytes: number;
}

export interface PodInputConfig {
  readonly inputId: string;
  readonly enabled: boolean;
  readonly clusterId: string;
  readonly apiToken: string;
  readonly services: readonly PodServiceConfig[];
}

/** The CASB services. */
export type CasbServiceName = 'alerts' | 'events';

export interface CasbServiceConfig {
  readonly name: CasbServiceName;
  readonly requestPeriodMs: number;
  /** Memory bound of the 1-hour de-dup window, bytes (`dedup_max_size_in_mb`). */
  readonly dedupMaxBytes: number;
  /** `initial_start_time_in_utc`, UTC epoch ms. */
  readonly initialStartTime?: number;
  readonly tag: string;
}

/** One limit of a CASB input's limiter: at most `requests` requests in any `periodMs`. */
export interface RequestsLimit {
  /** The period, ms (`period`: seconds, or `1h`, `1d`…). */
  readonly periodMs: number;
  /** Most requests in one period (`number_of_requests`), retries included. */
  readonly requests: number;
}

/** `globals.http_server`: where `/metrics`, `/health`, `/ready` and `/status` are served. */
export interface HttpServerConfig {
  readonly address: string;
  readonly port: number;
  /** `allowed_hosts`: names answered in the `Host` header besides IP literals, `localhost` and the machine's name. */
  readonly allowedHosts?: readonly string[];
}

export interface CasbInputConfig {
  readonly inputId: string;
  readonly enabled: boolean;
  readonly apiKey: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** `https://api.protect.proofpoint.com` unless overridden. */
  readonly urlBase: string;
  readonly requestsPerSecond: number;
  /**
   * `requests_limits`: budgets that every request of the input, retries included, must also fit
   * (on top of `requestsPerSecond`), e.g. `[{ periodMs: 86_400_000, requests: 1000 }]` for the
   * CASB v1 budget of about 1000 queries a day. Empty (the default): no budget but the pace.
   */
  readonly requestsLimits: readonly RequestsLimit[];
  /**
   * Most bytes of one answer's body once decompressed (`max_response_size_in_mb`; default 64 MiB,
   * range 1-1024): a longer one is `CASB_BAD_RESPONSE`, not read further nor retried. Always
   * set by `loadConfig`; absent in a config built by hand, the client's default.
   */
  readonly maxResponseBytes?: number;
  readonly services: readonly CasbServiceConfig[];
}

/**
 * How much the collector may hold in memory between its sources and the Devo connection, all
 * services together: Devo's collector bounds its one internal queue so, and blocks the pullers
 * when it is full (`queue_max_size_in_messages`, `queue_max_size_in_mb`).
 */
export interface InFlightLimits {
  /**
   * Most events held at once: read from a source and not yet written to the Devo connection
   * (`globals.queue_max_size_in_messages`; default 10 000, range 1-100 000). Shared by the
   * services: each one's bounds (PoD valve and sort window, CASB page) must add up to no more.
   */
  readonly maxEvents: number;
  /**
   * Most bytes of those events (`globals.queue_max_size_in_mb` × 1 MiB; default 1024 MiB, range
   * 1-5120 MiB), shared as `maxEvents` is.
   */
  readonly maxBytes: number;
}

/** A setting of the file accepted for compatibility with Devo's collector that does nothing here. */
export interface InertSetting {
  /** Its path in the file, e.g. `globals.queue_wrap_max_size_in_messages`. */
  readonly path: string;
  /** Why it has no effect here, and what does that job instead. */
  readonly reason: string;
}

/**
 * A validated configuration with every default applied and every path absolute: what the
 * runner and the library API take.
 */
export interface CollectorConfig {
  /** Where it came from (a file path), for messages. */
  readonly source: string;
  readonly collector: {
    readonly id: string;
    readonly name: string;
    readonly debug: boolean;
    readonly multiprocessing: boolean;
  };
  /** Absolute path of the state directory (`globals.persistence.config.directory_name`). */
  readonly stateDirectory: string;
  /** Where `/metrics`, `/health`, `/ready` and `/status` are served (`globals.http_server`); off when absent. */
  readonly httpServer?: HttpServerConfig;
  /** The first output of `outputs`: its `hostname` is every line's, its batches cut the lines for every output. */
  readonly output: OutputConfig;
  /** Every output, in file order: each event goes to each, or to one in turn with `balancedOutput`. */
  readonly outputs: readonly OutputConfig[];
  /** `globals.balanced_output`: each batch goes to one output in turn (round robin) rather than to every output. */
  readonly balancedOutput: boolean;
  readonly pod?: PodInputConfig;
  readonly casb?: CasbInputConfig;
  /** Bounds of what is held in memory (`globals.queue_max_size_in_*`). */
  readonly inFlight: InFlightLimits;
  /** The settings of the file that have no effect here, in file order (logged once at start). */
  readonly inertSettings: readonly InertSetting[];
}

/** The secrets of a configuration, to be redacted from every log line. */
export function configSecrets(config: CollectorConfig): string[] {
  const secrets = [
    config.pod?.apiToken,
    config.casb?.apiKey,
    config.casb?.clientSecret,
    ...config.outputs.map((o) => (o.kind === 'console' ? undefined : o.keyPassphrase)),
  ];
  return secrets.filter((s): s is string => s !== undefined);
}
