/** A file named by a setting, for error messages that say which setting to fix. */
export interface FileSetting {
  /** Absolute path. */
  readonly path: string;
  /** The setting it came from, e.g. `outputs.devo_1.config.cert`. */
  readonly setting: string;
}

/** The Devo relay the events go to, with defaults applied. */
export interface DevoOutputConfig {
  /** The output's name in the file (`devo_1`). */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly chain: FileSetting;
  readonly cert: FileSetting;
  readonly key: FileSetting;
  readonly keyPassphrase?: string;
  /** Host name in each syslog header. Default: the machine's host name. */
  readonly hostname: string;
  readonly batch: { readonly maxEvents: number; readonly maxBytes: number; readonly maxDelayMs: number };
  readonly idleTimeoutMs: number;
  readonly recycleAfterMs: number;
  /** Only for lab relays with self-made certificates; logged as a warning at every start. */
  readonly insecureSkipServerVerification: boolean;
}

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

export interface CasbInputConfig {
  readonly inputId: string;
  readonly enabled: boolean;
  readonly apiKey: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** `https://api.protect.proofpoint.com` unless overridden. */
  readonly urlBase: string;
  readonly requestsPerSecond: number;
  readonly services: readonly CasbServiceConfig[];
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
  readonly output: DevoOutputConfig;
  readonly pod?: PodInputConfig;
  readonly casb?: CasbInputConfig;
}

/** The secrets of a configuration, to be redacted from every log line. */
export function configSecrets(config: CollectorConfig): string[] {
  const secrets = [config.pod?.apiToken, config.casb?.apiKey, config.casb?.clientSecret, config.output.keyPassphrase];
  return secrets.filter((s): s is string => s !== undefined);
}
