import axios, { AxiosError, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import axiosRetry, { exponentialDelay, isNetworkError } from 'axios-retry';
import Bottleneck from 'bottleneck';
import { asyncScheduler } from 'rxjs';
import { CollectorError, errorMessage } from '../errors/collectorError';
import { silentLogger, type Logger } from '../log/logger';
import { redactingLogger } from '../log/redactingLogger';
import { SecretRedactor } from '../log/secretRedactor';
import type { CasbClientOptions } from './casbClientOptions';
import { CASB_MAX_RESPONSE_BYTES, CASB_RETRY_AFTER_MAX_MS } from './casbClientOptions';
import { casbPause } from './casbPause';
import { casbResponseTooLarge, isResponseTooLarge } from './casbResponseTooLarge';
import { ProofpointCasbInitVariablesError, ProofpointCasbSetupError } from './casbErrors';
import { redirectRefused } from './casbRedirect';
import { retryAfterDelay } from './casbRetryAfter';
import { badResponse, decodeAlerts, decodeEventsPage, describeFailure, field, parseJson, responseText, type CasbEventsPage } from './casbResponses';
import { casbHttp } from './casbHttp';
import { casbPacing } from './casbPacing';

export type { CasbClientOptions, CasbClientTelemetry } from './casbClientOptions';
export { CASB_MAX_RESPONSE_BYTES, CASB_RETRY_AFTER_MAX_MS } from './casbClientOptions';
export { casbHttpStatus, type CasbEventsPage } from './casbResponses';

/** Node's longest timer: a setTimeout beyond it fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Renewals of a token that expired while its request waited, per call (beyond the one renewal a 401 gets). */
const MAX_EXPIRED_RENEWALS = 3;

/** Most alerts in one page of `/v1/alerts`: a shorter page is the window's last. */
export const CASB_ALERTS_PAGE_SIZE = 50;

/** A request of the API: a JSON body to POST, or query parameters to GET (no body). */
type CasbRequest = { readonly method: 'POST'; readonly body: unknown } | { readonly method: 'GET'; readonly params: Readonly<Record<string, string>> };

interface Token {
  readonly value: string;
  readonly expiresAt: number;
}

/**
 * The Proofpoint CASB REST API, as docs/ARCHITECTURE.md's contracts give it; the only module that
 * knows the vendor's request and response names (`/v1/auth`, `/v1/alerts`, `/v2/events`,
 * `auth_token`, `time_range`, `startTime`, `nextPage`, `size`, `nextPageToken`, `content`), so
 * that they are easy to correct.
 *
 * Every request of the input goes through one bottleneck limiter (`requestsPerSecond`), retries
 * included. A 429 pauses every request of the input for its `Retry-After` (seconds or an HTTP
 * date, capped at {@link CASB_RETRY_AFTER_MAX_MS}; when missing or unreadable, a capped
 * exponential backoff, and the Devo collector's ValueError is logged). 5xx answers, resets and
 * timeouts are retried by axios-retry with capped exponential backoff and jitter. Redirects are
 * never followed (`CASB_REDIRECT_REFUSED`): they would carry the api key, the token or the client
 * secret elsewhere. The token from `/v1/auth` is reused, renewed before `expires_in` runs out, and
 * renewed once on a 401; a second 401 is `ProofpointCasbSetupError` 101. Each token is registered
 * with the `redactor`, and every log line and error message of the client is redacted.
 *
 * @example
 * const client = new CasbClient({ baseUrl, apiKey, clientId, clientSecret });
 * const alerts = await client.alerts(0, from, to);
 */
export class CasbClient {
  private readonly http: AxiosInstance;
  private readonly limiter: Bottleneck;
  private readonly budgets: Bottleneck[];
  private readonly logger: Logger;
  private readonly redactor: SecretRedactor;
  private readonly now: () => number;
  private readonly prefix: string;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly retryAfterMaxMs: number;
  private readonly maxResponseBytes: number;
  private token: Token | undefined;
  private authenticating: Promise<Token> | undefined;
  private pausedUntil = 0;
  private requestCount = 0;
  private readonly abort = new AbortController();

  constructor(private readonly options: CasbClientOptions) {
    this.redactor = options.redactor ?? new SecretRedactor();
    this.redactor.add(options.apiKey);
    this.redactor.add(options.clientSecret);
    this.logger = redactingLogger(options.logger ?? silentLogger, this.redactor);
    this.now = options.now ?? Date.now;
    this.prefix = options.settingPrefix ?? 'inputs.proofpoint_casb';
    this.backoffInitialMs = options.backoffInitialMs ?? 1000;
    this.backoffMaxMs = options.backoffMaxMs ?? 60_000;
    this.maxResponseBytes = options.maxResponseBytes ?? CASB_MAX_RESPONSE_BYTES;
    this.retryAfterMaxMs = Math.min(options.retryAfterMaxMs ?? CASB_RETRY_AFTER_MAX_MS, MAX_TIMER_MS);
    const rps = options.requestsPerSecond ?? 1;
    try {
      ({ limiter: this.limiter, budgets: this.budgets } = casbPacing(rps, options.requestsLimits ?? []));
      this.http = casbHttp(options.baseUrl, options.apiKey, options.timeoutMs ?? 30_000, this.maxResponseBytes, this.abort.signal);
    } catch (err) {
      throw new ProofpointCasbInitVariablesError(3, `cannot set up the HTTP client for ${options.baseUrl}: ${errorMessage(err)}`, { cause: err });
    }
    // Every attempt, retries included, waits for the input's pace and for any 429 pause.
    this.http.interceptors.request.use((config) => this.limiter.schedule(() => this.gate(config)));
    // Every attempt's outcome, retries included (registered before axios-retry, which retries in its own handler).
    this.http.interceptors.response.use(
      (response) => {
        options.telemetry?.response(response.config.url ?? '', String(response.status));
        return response;
      },
      (error: unknown) => {
        if (error instanceof AxiosError)
          options.telemetry?.response(error.config?.url ?? '', error.response === undefined ? 'error' : String(error.response.status));
        return Promise.reject(error);
      },
    );
    axiosRetry(this.http, {
      retries: options.retries ?? 6,
      shouldResetTimeout: true,
      retryCondition: (error) => this.retryable(error),
      retryDelay: (count, error) => this.retryDelay(count, error),
      onRetry: (count, error, config) =>
        this.logger.warn(`${config.url ?? ''} failed (${describeFailure(error, this.clip)}); retry ${count} of ${options.retries ?? 6}`),
    });
  }

  /** HTTP requests sent since creation (retries and authentications included). */
  get requests(): number {
    return this.requestCount;
  }

  /** `POST /v1/alerts`: page `page` (from 0, newest first) of the alerts with `from <= timestamp <= to` (epoch ms). */
  alerts(page: number, from: number, to: number, signal?: AbortSignal): Promise<readonly unknown[]> {
    return this.redacted(async () => {
      const body = await this.call('/v1/alerts', { method: 'POST', body: { page, time_range: { from, to } } }, signal);
      return decodeAlerts(body, this.clip);
    });
  }

  /**
   * `GET /v2/events?startTime={ISO-8601 UTC, to the second}` for the first page (no `pageToken`),
   * `GET /v2/events?nextPage={pageToken}` after it (no body either way), oldest first. Reads
   * `{ size, nextPageToken, content }`:
   * - `content` (the events) is required; `nextPageToken` must be a string, and may be missing
   *   (or `null`, or empty) only on an empty page, which then keeps the current position;
   * - `size` must be a count when present; when it disagrees with `content`, `content` wins (its
   *   events are delivered, and only an empty `content` means caught up) and a warning names both.
   * The earlier guess's names, `events` and `next_page_token`, are read when the observed ones are
   * absent. Any other body is `CASB_BAD_RESPONSE`.
   *
   * @example
   * const first = await client.events(Date.parse('2024-01-01T00:00:00Z'), undefined);
   * const next = await client.events(0, first.nextPageToken); // startTime is not sent with a token
   */
  events(startTime: number, pageToken: string | undefined, signal?: AbortSignal): Promise<CasbEventsPage> {
    return this.redacted(async () => {
      const params: Record<string, string> =
        pageToken === undefined ? { startTime: new Date(startTime).toISOString().replace(/\.\d{3}Z$/, 'Z') } : { nextPage: pageToken };
      const body = await this.call('/v2/events', { method: 'GET', params }, signal);
      return decodeEventsPage(body, this.clip, this.logger);
    });
  }

  /** Cancels every request in flight or waiting, and stops the limiter. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
    for (const budget of this.budgets) await budget.stop({ dropWaitingJobs: true }).catch(() => undefined);
  }

  /** The first 200 characters of a server's text for a message, redacted (no piece of a secret at the cut). */
  private readonly clip = (text: string): string => this.redactor.redactHead(text, 200);

  /** Runs a call; a failure's message is redacted once more, whatever built it. */
  private async redacted<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof CollectorError) err.message = this.redactor.redact(err.message);
      throw err;
    }
  }

  private async call(path: string, request: CasbRequest, signal: AbortSignal | undefined): Promise<unknown> {
    let token = await this.validToken();
    let renewals = 0;
    for (;;) {
      try {
        return await this.send(path, request, token.value, signal);
      } catch (err) {
        if (!(err instanceof AxiosError) || err.response?.status !== 401) throw this.failure(path, err);
        // A token that expired while its request waited (429 pauses, retries) says nothing about
        // the credentials: renew it without counting. A fresh token refused is a setup problem.
        const expiredMeanwhile = this.now() >= token.expiresAt && renewals < MAX_EXPIRED_RENEWALS;
        if (renewals > 0 && !expiredMeanwhile) {
          this.token = undefined;
          throw new ProofpointCasbSetupError(`${path} refused a fresh token too (401: ${responseText(err, this.clip)}); check ${this.prefix}.credentials`, {
            cause: err,
          });
        }
        this.logger.warn(
          renewals === 0 ? `${path} answered 401: renewing the token once` : `${path} answered 401 after its token expired while waiting: renewing it`,
        );
        renewals++;
        if (this.token === token) this.token = undefined;
        token = await this.validToken();
      }
    }
  }

  private async send(path: string, request: CasbRequest, token: string, signal: AbortSignal | undefined): Promise<unknown> {
    const cancel = signal === undefined ? this.abort.signal : AbortSignal.any([this.abort.signal, signal]);
    const response =
      request.method === 'GET'
        ? await this.http.get<string>(path, { params: request.params, headers: { Authorization: token }, signal: cancel })
        : await this.http.post<string>(path, JSON.stringify(request.body), {
            headers: { Authorization: token, 'content-type': 'application/json' },
            signal: cancel,
          });
    return parseJson(path, response.data, this.clip);
  }

  private validToken(): Promise<Token> {
    const renewBefore = this.options.renewBeforeMs ?? 60_000;
    if (this.token !== undefined && this.now() < this.token.expiresAt - renewBefore) return Promise.resolve(this.token);
    this.authenticating ??= this.authenticate().finally(() => (this.authenticating = undefined));
    return this.authenticating;
  }

  private async authenticate(): Promise<Token> {
    let body: unknown;
    try {
      const response = await this.http.post<string>(
        '/v1/auth',
        JSON.stringify({ client_id: this.options.clientId, client_secret: this.options.clientSecret }),
        {
          headers: { 'content-type': 'application/json' },
        },
      );
      body = parseJson('/v1/auth', response.data, this.clip);
    } catch (err) {
      if (err instanceof AxiosError && (err.response?.status === 401 || err.response?.status === 403)) {
        throw new ProofpointCasbSetupError(
          `/v1/auth answered ${err.response.status} (${responseText(err, this.clip)}); check ${this.prefix}.credentials.client_id, client_secret and api_key`,
          { cause: err },
        );
      }
      throw this.failure('/v1/auth', err);
    }
    const value = field(body, 'auth_token');
    if (typeof value !== 'string' || value === '') throw badResponse('/v1/auth', 'no "auth_token"', body, this.clip);
    // Masked from now on in every log line, error and dead letter that goes through the redactor.
    this.redactor.add(value);
    const expiresIn = field(body, 'expires_in');
    const ttlMs = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn * 1000 : 3_600_000;
    this.token = { value, expiresAt: this.now() + ttlMs };
    this.options.telemetry?.tokenRenewed();
    this.logger.debug(`Authenticated; the token expires in ${Math.round(ttlMs / 1000)} s`);
    return this.token;
  }

  private async gate(config: InternalAxiosRequestConfig): Promise<InternalAxiosRequestConfig> {
    const wait = this.pausedUntil - this.now();
    if (wait > 0) await casbPause(wait, config.signal instanceof AbortSignal ? config.signal : this.abort.signal, this.options.scheduler ?? asyncScheduler);
    this.requestCount++;
    return config;
  }

  private retryable(error: AxiosError): boolean {
    if (this.abort.signal.aborted || axios.isCancel(error) || error.code === 'ERR_CANCELED' || isResponseTooLarge(error)) return false;
    const status = error.response?.status;
    return status === 429 || (status !== undefined && status >= 500) || isNetworkError(error) || error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT';
  }

  private retryDelay(count: number, error: AxiosError): number {
    const computed = Math.min(this.backoffMaxMs, exponentialDelay(count - 1, undefined, this.backoffInitialMs));
    if (error.response?.status !== 429) return computed;
    this.options.telemetry?.rateLimited();
    const delay = retryAfterDelay(error, computed, this.retryAfterMaxMs, this.logger);
    // Every request of this input (same api key) waits, not only this one.
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + delay);
    return delay;
  }

  private failure(path: string, err: unknown): CollectorError {
    if (err instanceof CollectorError) return err;
    if (isResponseTooLarge(err)) return casbResponseTooLarge(path, this.maxResponseBytes, this.prefix, err);
    const status = err instanceof AxiosError ? (err.response?.status ?? 0) : 0;
    if (err instanceof AxiosError && status >= 300 && status < 400) return redirectRefused(path, status, err, this.options.baseUrl, this.prefix, this.clip);
    return new CollectorError(
      'CASB_REQUEST_FAILED',
      `${path} failed: ${describeFailure(err, this.clip)}. Check ${this.prefix}.override_url_base and the network`,
      { cause: err },
    );
  }
}
