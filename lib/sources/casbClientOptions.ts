import type { SchedulerLike } from 'rxjs';
import type { Logger } from '../log/logger';
import type { SecretRedactor } from '../log/secretRedactor';

/** Options of a `CasbClient`: one per CASB input (one api key). */
export interface CasbClientOptions {
  /** `https://api.protect.proofpoint.com` or an override. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Pace of every request of the input, retries included. Default 1. */
  readonly requestsPerSecond?: number;
  /** Budgets every request (retries included) must also fit: at most `requests` per `periodMs` (`requests_limits`). */
  readonly requestsLimits?: ReadonlyArray<{ readonly periodMs: number; readonly requests: number }>;
  /** Timeout of one request. Default 30 s. */
  readonly timeoutMs?: number;
  /** Retries of a request after a 429, a 5xx, a reset or a timeout. Default 6. */
  readonly retries?: number;
  /** First retry delay (doubling, with jitter). Default 1 s. */
  readonly backoffInitialMs?: number;
  /** Longest computed retry delay (a server's Retry-After is obeyed even when longer, up to `retryAfterMaxMs`). Default 60 s. */
  readonly backoffMaxMs?: number;
  /**
   * Longest pause a 429's `Retry-After` imposes; a longer one is capped (and logged as such).
   * Default {@link CASB_RETRY_AFTER_MAX_MS} (1 hour); at most 2^31 - 1 ms, Node's longest timer.
   */
  readonly retryAfterMaxMs?: number;
  /**
   * Most bytes of one answer's body, after decompression (`max_response_size_in_mb`): a longer one
   * is `CASB_BAD_RESPONSE`, read no further and not retried. Default
   * {@link CASB_MAX_RESPONSE_BYTES} (64 MiB).
   */
  readonly maxResponseBytes?: number;
  /** A token is renewed this long before its `expires_in` runs out. Default 60 s. */
  readonly renewBeforeMs?: number;
  /** Prefix of the setting names in messages. Default `inputs.proofpoint_casb`. */
  readonly settingPrefix?: string;
  readonly logger?: Logger;
  /**
   * Where the client registers its secrets: the api key, the client secret and every
   * `auth_token` it receives (pass the process's, so that dead letters and other logs mask the
   * token too). The client's own log lines and error messages are redacted with it. Default: one
   * of its own.
   */
  readonly redactor?: SecretRedactor;
  readonly now?: () => number;
  /** Where the client reports each attempt's outcome, its 429 pauses and its new tokens (metrics). */
  readonly telemetry?: CasbClientTelemetry;
  /** The clock of the 429 pauses (axios, axios-retry and bottleneck keep their own timers). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/**
 * Longest pause a 429's `Retry-After` can impose on a CASB input: 1 hour. A server asking for more
 * (`Retry-After: 1000000000`, or a date years ahead) gets this, logged; the pause is held for the
 * whole of it (an uncapped value past 2^31 ms would overflow Node's timers, which then fire at once).
 */
export const CASB_RETRY_AFTER_MAX_MS = 3_600_000;

/** Default most bytes of one CASB answer's body, after decompression: 64 MiB (`max_response_size_in_mb`). */
export const CASB_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** What a `CasbClient` reports (see `CasbClientOptions.telemetry`). */
export interface CasbClientTelemetry {
  /** One HTTP attempt (retries included) of `path` ended: its status, or `error` without an answer. */
  response(path: string, outcome: string): void;
  /** A 429 paused every request of the input. */
  rateLimited(): void;
  /** A token was obtained from `/v1/auth` (the first one included). */
  tokenRenewed(): void;
}
