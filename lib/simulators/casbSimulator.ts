import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { parseEventTime } from '../time/parseEventTime';
import { casbAlert, casbEvent, casbIndexAtOrAfter, casbRecordTime, casbVisibleCount, casbWindowRange, type CasbStream, type CasbTimeline } from './casbRecords';
import { boundPort, serverUrl, startListening } from './listenOn';
import { hash32 } from './seededRandom';

/** The records of one CASB stream in {@link CasbSimulatorOptions}. */
export interface CasbStreamOptions {
  /** When records happen. Default `{ startTime: now() at start - 1 hour, intervalMs: 1000 }`. */
  readonly timeline?: CasbTimeline;
  /** Records in the stream (indexes `0 … total-1`). Default `Infinity`. */
  readonly total?: number;
}

/**
 * How a 429 of `rateLimitEvery` spells `Retry-After`: delay-seconds (`"1"`), an HTTP-date (now plus
 * the delay, rounded up to the second, on the simulator's clock), no header, or `alternate`: seconds,
 * HTTP-date, missing, seconds, … in turn.
 */
export type CasbRetryAfterStyle = 'seconds' | 'date' | 'missing' | 'alternate';

/** Options of {@link CasbSimulator.start}. Only the three credentials are required. */
export interface CasbSimulatorOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0: any free port (see {@link CasbSimulator.port}). */
  readonly port?: number;
  /** The `x-api-key` every call must carry. */
  readonly apiKey: string;
  /** The `client_id` of `POST /v1/auth`. */
  readonly clientId: string;
  /** The `client_secret` of `POST /v1/auth`. */
  readonly clientSecret: string;
  /** Alerts served by `POST /v1/alerts`. */
  readonly alerts?: CasbStreamOptions;
  /** Events served by `GET /v2/events`. */
  readonly events?: CasbStreamOptions;
  /**
   * `realtime` (default): a record is visible once `now() >= its time`. `backlog`: every record up to
   * `total` is visible at once, whatever its time.
   */
  readonly mode?: 'realtime' | 'backlog';
  /** Records per page of both calls. Default 50. */
  readonly pageSize?: number;
  /** Lifetime of a token (`expires_in` of `POST /v1/auth`), in seconds. Default 3600. */
  readonly tokenTtlSeconds?: number;
  /** Every k-th counted request (see {@link CasbSimulator}) gets a 429. Default 0 = never. */
  readonly rateLimitEvery?: number;
  /** How those 429s spell `Retry-After`. Default `alternate`. */
  readonly retryAfter?: CasbRetryAfterStyle;
  /** The delay those 429s ask for, a non-negative integer number of seconds. Default 1. */
  readonly retryAfterSeconds?: number;
  /**
   * More requests than this with the API key within any second (a sliding window over the requests
   * it admitted, on the simulator's clock) get a 429 with `Retry-After: 1`. Default 0 = unlimited.
   */
  readonly maxRequestsPerSecond?: number;
  /**
   * Every k-th counted request fails: a 500, a 502, a 503, then a reset connection (TCP RST), in
   * turn. Default 0 = never.
   */
  readonly failEvery?: number;
  /** Delay before every answer (and reset), in ms. Default 0. */
  readonly latencyMs?: number;
  /** The simulator's clock (UTC epoch ms): visibility, token expiry, rate limits. Default `Date.now`. */
  readonly now?: () => number;
}

/** Counters of a {@link CasbSimulator}. */
export interface CasbSimulatorStats {
  /** Requests by URL path, e.g. `{ '/v1/auth': 1, '/v1/alerts': 3 }`, whatever their outcome. */
  readonly requests: Readonly<Record<string, number>>;
  /** Answers by HTTP status, e.g. `{ 200: 4, 429: 1 }` (resets are not answers: see `resets`). */
  readonly responses: Readonly<Record<number, number>>;
  /** Alerts sent in 200 answers (a record sent twice counts twice). */
  readonly alertsServed: number;
  /** Events sent in 200 answers (a record sent twice counts twice). */
  readonly eventsServed: number;
  /** Tokens issued by `POST /v1/auth`. */
  readonly tokensIssued: number;
  /** 429 answers, from `rateLimitEvery` and from `maxRequestsPerSecond`. */
  readonly rateLimited: number;
  /** Injected failures (`failEvery`): 5xx answers and resets. */
  readonly failures: number;
  /** Connections reset by `failEvery`. */
  readonly resets: number;
}

const HOUR_MS = 3_600_000;
const MAX_BODY_BYTES = 1024 * 1024;
const AUTH_PATH = '/v1/auth';
const ALERTS_PATH = '/v1/alerts';
const EVENTS_PATH = '/v2/events';
/** The method of each call; another method on these paths is a 405. */
const METHODS: Readonly<Record<string, 'GET' | 'POST'>> = { [AUTH_PATH]: 'POST', [ALERTS_PATH]: 'POST', [EVENTS_PATH]: 'GET' };
const FAILURE_STATUSES = [500, 502, 503] as const;
const ALTERNATE: readonly Exclude<CasbRetryAfterStyle, 'alternate'>[] = ['seconds', 'date', 'missing'];
/** ISO-8601 date-time in UTC: `Z`, or a zero offset. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]00:?00)$/i;
/** A bare date (`2020-06-28`, as the public client sends `startTime`): midnight UTC. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** The offset (first index) of a page token's file: `…+<partition>+<offset>.json.gz`. */
const FILE_OFFSET = /\+(\d{1,16})\.json\.gz$/;
const MINUTE_MS = 60_000;

type Answer = { readonly status: number; readonly body: unknown; readonly headers?: Readonly<Record<string, string>> } | 'reset';

/** A 400: the request body is wrong at `field`. */
class BadRequest {
  constructor(
    readonly field: string,
    readonly message: string,
  ) {}
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function json(status: number, body: unknown, headers?: Record<string, string>): Answer {
  return headers === undefined ? { status, body } : { status, body, headers };
}

function error(status: number, message?: string): Answer {
  const body: Record<string, string> = { error: http.STATUS_CODES[status] ?? 'Error' };
  if (message !== undefined) body['message'] = message;
  return json(status, body);
}

function positive(name: string, value: number, { integer = false, zero = false, infinite = false } = {}): number {
  const finite = Number.isFinite(value) || (infinite && value === Infinity);
  const ok = finite && (zero ? value >= 0 : value > 0) && (!integer || Number.isSafeInteger(value) || value === Infinity);
  if (!ok) throw new RangeError(`CasbSimulator option ${name} must be a ${zero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got ${value}`);
  return value;
}

function credential(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new RangeError(`CasbSimulator option ${name} must be a non-empty string`);
  return value;
}

/**
 * The opaque `nextPageToken` of events position `next` (the index served next), in the style of
 * the tokens Devo's CASB collector logs: standard base64 of
 * `{"lineNumber":n,"currentKey":"tenant_<t>/year=…/month=…/day=…/hour=…/minute=…/fl_events_keyed_tenant+<p>+<offset>.json.gz"}`.
 * The key names the minute "file" of event `next` (its first event's index is `offset`) and
 * `lineNumber` the last line of it already served (-1: none), so `next = offset + lineNumber + 1`;
 * tenant and partition derive from the timeline's seed.
 */
function encodeCursor(timeline: CasbTimeline, next: number): string {
  const minute = Math.floor(casbRecordTime(timeline, next) / MINUTE_MS) * MINUTE_MS;
  const offset = casbIndexAtOrAfter(timeline, minute);
  const seed = timeline.seed ?? '';
  const d = new Date(minute);
  const two = (n: number) => String(n).padStart(2, '0');
  const tenant = `tenant_${hash32(`tenant|${seed}`).toString(16).padStart(8, '0')}`;
  const partition = hash32(`partition|${seed}`) % 8;
  const currentKey = `${tenant}/year=${d.getUTCFullYear()}/month=${two(d.getUTCMonth() + 1)}/day=${two(d.getUTCDate())}/hour=${two(d.getUTCHours())}/minute=${two(d.getUTCMinutes())}/fl_events_keyed_tenant+${partition}+${offset}.json.gz`;
  return Buffer.from(JSON.stringify({ lineNumber: next - offset - 1, currentKey })).toString('base64');
}

/**
 * The position a page token encodes; throws a {@link BadRequest} (field `nextPage`) for anything
 * but a token this simulator issues for `timeline` (the token is re-encoded and compared).
 */
function decodeCursor(timeline: CasbTimeline, token: string): number {
  const invalid = new BadRequest('nextPage', `not a page token: ${describe(token)}`);
  const text = Buffer.from(token, 'base64').toString('utf8');
  let cursor: unknown;
  try {
    cursor = JSON.parse(text);
  } catch {
    throw invalid;
  }
  if (!isObject(cursor)) throw invalid;
  const line = cursor['lineNumber'];
  const key = cursor['currentKey'];
  const offset = typeof key === 'string' ? FILE_OFFSET.exec(key)?.[1] : undefined;
  if (typeof line !== 'number' || !Number.isSafeInteger(line) || line < -1 || offset === undefined) throw invalid;
  const next = Number(offset) + line + 1;
  try {
    if (Number.isSafeInteger(next) && encodeCursor(timeline, next) === token) return next;
  } catch {
    // a position too far to have a time: not one of ours
  }
  throw invalid;
}

/**
 * A stand-in for the Proofpoint CASB REST API (docs/ARCHITECTURE.md, "Contracts"): an HTTP server on
 * loopback that serves deterministic synthetic alerts ({@link casbAlert}) and events
 * ({@link casbEvent}), with tokens that expire, rate limits (429 with every `Retry-After` form),
 * 5xx answers, reset connections and latency on demand. Used by end-to-end tests, the demo and the
 * benchmarks.
 *
 * Every answer is JSON (`content-type: application/json; charset=utf-8`); errors are
 * `{ error: <HTTP reason>, message?, field? }`. A request goes through these checks in order:
 * 1. `x-api-key` is not the API key: 403 `{ "error": "Forbidden" }`.
 * 2. A path other than `/v1/auth`, `/v1/alerts`, `/v2/events` (the query string aside): 404; another
 *    method than the call's (`POST`, `POST`, `GET`), e.g. the old guess `POST /v2/events`: 405 with
 *    an `Allow` header.
 * 3. `maxRequestsPerSecond`: 429 with `Retry-After: 1`.
 * 4. Calls other than `/v1/auth` are *counted* (1, 2, 3, …); the n-th gets a 429 when
 *    `n % rateLimitEvery === 0`, else a failure when `n % failEvery === 0` (500, 502, 503, reset, in turn).
 * 5. Calls other than `/v1/auth` need `Authorization: <auth_token>` (the raw token: `Bearer <token>`
 *    is a 401) of a token issued here that has not expired (`now() < issued + tokenTtlSeconds`): else 401.
 * 6. A POST's body must be a JSON object (else 400, `field: "body"`; over 1 MiB 413), with valid fields
 *    (else 400 naming the field in `field` and `message`); a GET's query parameters likewise (its
 *    body, if any, is ignored).
 *
 * Calls:
 * - `POST /v1/auth` `{ client_id, client_secret }` → 200 `{ auth_token, expires_in }` (a new random
 *   token each time; `expires_in = tokenTtlSeconds`); wrong credentials 401.
 * - `POST /v1/alerts` `{ page, time_range: { from, to } }` (`page` an integer >= 0; `from <= to`,
 *   integer epoch ms, both inclusive) → 200 `{ alerts: [...] }`: the visible alerts with
 *   `from <= timestamp <= to`, newest first (ties: higher index first), page `page` of `pageSize`; a
 *   short (or empty) page is the last. The ids of a page are
 *   `casbAlertsInWindow(sim.alertStream, from, to, mode === 'realtime' ? now : undefined)
 *   .slice(page * pageSize, (page + 1) * pageSize).map((i) => casbAlertId(i, sim.alertStream.timeline.seed))`.
 * - `GET /v2/events?startTime={ISO-8601 UTC}` (a date-time with `Z` or a zero offset, or a bare
 *   date for midnight UTC) or `GET /v2/events?nextPage={token}` (a token from this simulator;
 *   `startTime` is then ignored) → 200 `{ size, nextPageToken, content: [...] }`, oldest first
 *   (ascending index). Without a token the page starts at `casbIndexAtOrAfter(timeline, startTime)`,
 *   with one at the position it encodes. A page holds the next up-to-`pageSize` visible events
 *   ({@link casbEvent}), `size` is their number and `nextPageToken` encodes the position after
 *   them; when nothing new is visible, `size` is 0, `content` is `[]` and `nextPageToken` is the
 *   very token of that position (resume from it later). Tokens are opaque base64 JSON in the style
 *   of Devo's logs (`{"lineNumber":…,"currentKey":"tenant_…/year=…/…/fl_events_keyed_tenant+…json.gz"}`);
 *   anything else, a repeated or empty parameter is a 400 naming `startTime` or `nextPage`; other
 *   query parameters are ignored.
 *
 * Visibility: in `realtime` mode the visible records of a stream are those with `time <= now()`, in
 * `backlog` mode all of them; always only indexes `0 … total-1` (see {@link casbVisibleCount}), so
 * the records a client can ever see are exactly those.
 *
 * @example
 * const casb = await CasbSimulator.start({ apiKey: 'k', clientId: 'c', clientSecret: 's', mode: 'backlog', events: { total: 120 } });
 * const auth = await (await fetch(`${casb.url}/v1/auth`, { method: 'POST', headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
 *   body: JSON.stringify({ client_id: 'c', client_secret: 's' }) })).json();
 * const page = await (await fetch(`${casb.url}/v2/events?startTime=2024-01-01T00:00:00Z`,
 *   { headers: { 'x-api-key': 'k', authorization: auth.auth_token } })).json(); // { size, nextPageToken, content }
 * await casb.stop(); // closes the server and every connection and timer
 */
export class CasbSimulator {
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** token → expiry (epoch ms, exclusive). */
  private readonly tokens = new Map<string, number>();
  /** Times of the requests `maxRequestsPerSecond` admitted within the last second. */
  private readonly admitted: number[] = [];
  private readonly requestCounts: Record<string, number> = {};
  private readonly responseCounts: Record<number, number> = {};
  private readonly counters = { alertsServed: 0, eventsServed: 0, tokensIssued: 0, rateLimited: 0, failures: 0, resets: 0 };
  /** Counted (non-auth) requests so far. */
  private counted = 0;
  private rateLimits = 0;
  private failuresInjected = 0;
  private stopping: Promise<void> | undefined;

  private readonly apiKey: string;
  private readonly clientId: string;
  private readonly clientSecret: string;
  private readonly alerts: Required<CasbStream>;
  private readonly events: Required<CasbStream>;
  private readonly realtime: boolean;
  private readonly pageSize: number;
  private readonly tokenTtlSeconds: number;
  private readonly rateLimitEvery: number;
  private readonly retryAfter: CasbRetryAfterStyle;
  private readonly retryAfterSeconds: number;
  private readonly maxRequestsPerSecond: number;
  private readonly failEvery: number;
  private readonly latencyMs: number;
  private readonly now: () => number;

  private constructor(
    private readonly server: http.Server,
    private readonly options: CasbSimulatorOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.apiKey = credential('apiKey', options.apiKey);
    this.clientId = credential('clientId', options.clientId);
    this.clientSecret = credential('clientSecret', options.clientSecret);
    const defaultTimeline: CasbTimeline = { startTime: this.now() - HOUR_MS, intervalMs: 1000 };
    const stream = (name: string, given: CasbStreamOptions | undefined): Required<CasbStream> => {
      const result = {
        timeline: given?.timeline ?? defaultTimeline,
        total: positive(`${name}.total`, given?.total ?? Infinity, { integer: true, zero: true, infinite: true }),
      };
      casbVisibleCount(result, 0); // validates the timeline
      return result;
    };
    this.alerts = stream('alerts', options.alerts);
    this.events = stream('events', options.events);
    const mode = options.mode ?? 'realtime';
    if (mode !== 'realtime' && mode !== 'backlog') throw new RangeError(`CasbSimulator option mode must be 'realtime' or 'backlog', got ${String(mode)}`);
    this.realtime = mode === 'realtime';
    this.pageSize = positive('pageSize', options.pageSize ?? 50, { integer: true });
    this.tokenTtlSeconds = positive('tokenTtlSeconds', options.tokenTtlSeconds ?? 3600);
    this.rateLimitEvery = positive('rateLimitEvery', options.rateLimitEvery ?? 0, { integer: true, zero: true });
    this.retryAfter = options.retryAfter ?? 'alternate';
    if (!['seconds', 'date', 'missing', 'alternate'].includes(this.retryAfter))
      throw new RangeError(`CasbSimulator option retryAfter: unknown style ${String(this.retryAfter)}`);
    this.retryAfterSeconds = positive('retryAfterSeconds', options.retryAfterSeconds ?? 1, { integer: true, zero: true });
    this.maxRequestsPerSecond = positive('maxRequestsPerSecond', options.maxRequestsPerSecond ?? 0, { integer: true, zero: true });
    this.failEvery = positive('failEvery', options.failEvery ?? 0, { integer: true, zero: true });
    this.latencyMs = positive('latencyMs', options.latencyMs ?? 0, { zero: true });

    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.receive(req, res));
    server.on('clientError', (_err: Error, socket: Socket) => socket.destroy());
  }

  /** Starts listening; resolves once the port is bound. Throws a `RangeError` for invalid options. */
  static start(options: CasbSimulatorOptions): Promise<CasbSimulator> {
    const server = http.createServer();
    return startListening(server, () => new CasbSimulator(server, options), options.port, options.host);
  }

  /** The bound port. */
  get port(): number {
    return boundPort(this.server);
  }

  /** `http://host:port`, without a trailing slash: the `override_url_base` of a client. */
  get url(): string {
    return serverUrl('http', this.options.host ?? '127.0.0.1', this.port);
  }

  /** The alerts served (timeline and total, defaults resolved), for `casbAlertsInWindow` (casbRecords). */
  get alertStream(): Required<CasbStream> {
    return this.alerts;
  }

  /** The events served (timeline and total, defaults resolved). */
  get eventStream(): Required<CasbStream> {
    return this.events;
  }

  /** A snapshot of the counters. */
  get stats(): CasbSimulatorStats {
    return { ...this.counters, requests: { ...this.requestCounts }, responses: { ...this.responseCounts } };
  }

  /** Closes the server, every connection (answers still delayed by `latencyMs` are dropped) and every timer. */
  stop(): Promise<void> {
    if (this.stopping === undefined) {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.stopping = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const socket of this.sockets) socket.destroy();
    }
    return this.stopping;
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.stopping !== undefined) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (this.stopping !== undefined) return;
      const answer = this.handle(req, size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined);
      if (this.latencyMs <= 0) {
        this.answer(req, res, answer);
        return;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.answer(req, res, answer);
      }, this.latencyMs);
      this.timers.add(timer);
    });
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, answer: Answer): void {
    if (answer === 'reset') {
      if (!req.socket.destroyed) req.socket.resetAndDestroy();
      return;
    }
    if (res.destroyed) return;
    const text = JSON.stringify(answer.body);
    this.responseCounts[answer.status] = (this.responseCounts[answer.status] ?? 0) + 1;
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...answer.headers });
    res.end(text);
  }

  // -------------------------------------------------------------------------------------------
  // The API

  private handle(req: http.IncomingMessage, raw: Buffer | undefined): Answer {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      url = new URL('http://localhost/');
      url.pathname = req.url ?? '/';
    }
    const path = url.pathname;
    this.requestCounts[path] = (this.requestCounts[path] ?? 0) + 1;
    if (req.headers['x-api-key'] !== this.apiKey) return json(403, { error: 'Forbidden' });
    const method = METHODS[path];
    if (method === undefined) return error(404, `no such call: ${req.method ?? ''} ${path}`);
    if (req.method !== method) {
      return json(405, { error: 'Method Not Allowed', message: `${req.method ?? ''} ${path}: this call is ${method} ${path}` }, { allow: method });
    }
    const now = this.now();
    if (this.maxRequestsPerSecond > 0) {
      while (this.admitted.length > 0 && this.admitted[0]! <= now - 1000) this.admitted.shift();
      if (this.admitted.length >= this.maxRequestsPerSecond) {
        this.counters.rateLimited++;
        return json(429, { error: 'Too Many Requests', message: `more than ${this.maxRequestsPerSecond} requests per second` }, { 'retry-after': '1' });
      }
      this.admitted.push(now);
    }
    if (path !== AUTH_PATH) {
      const n = ++this.counted;
      if (this.rateLimitEvery > 0 && n % this.rateLimitEvery === 0) return this.tooManyRequests(now);
      if (this.failEvery > 0 && n % this.failEvery === 0) return this.failure();
      if (!this.authorized(req.headers.authorization, now)) return error(401, 'missing, unknown or expired token');
    }
    try {
      if (path === EVENTS_PATH) return this.eventsPage(url.searchParams, now);
      if (raw === undefined) return error(413, `request body over ${MAX_BODY_BYTES} bytes`);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new BadRequest('body', 'not JSON');
      }
      if (!isObject(body)) throw new BadRequest('body', `expected a JSON object, got ${describe(body)}`);
      if (path === AUTH_PATH) return this.auth(body, now);
      return this.alertsPage(body, now);
    } catch (err) {
      if (err instanceof BadRequest) return json(400, { error: 'Bad Request', field: err.field, message: `${err.field}: ${err.message}` });
      // A simulator bug (or a request it cannot serve, e.g. an index past 2^53): answer, never crash the process.
      return error(500, err instanceof Error ? err.message : String(err));
    }
  }

  private tooManyRequests(now: number): Answer {
    this.counters.rateLimited++;
    const style = this.retryAfter === 'alternate' ? ALTERNATE[this.rateLimits % ALTERNATE.length]! : this.retryAfter;
    this.rateLimits++;
    const headers: Record<string, string> = {};
    if (style === 'seconds') headers['retry-after'] = String(this.retryAfterSeconds);
    else if (style === 'date') headers['retry-after'] = new Date(Math.ceil((now + this.retryAfterSeconds * 1000) / 1000) * 1000).toUTCString();
    return json(429, { error: 'Too Many Requests' }, headers);
  }

  private failure(): Answer {
    const n = ++this.failuresInjected;
    this.counters.failures++;
    if (n % 4 === 0) {
      this.counters.resets++;
      return 'reset';
    }
    return error(FAILURE_STATUSES[(n - 1) % 4]!);
  }

  private authorized(header: string | undefined, now: number): boolean {
    if (header === undefined) return false;
    const expiry = this.tokens.get(header);
    if (expiry === undefined) return false;
    if (now >= expiry) {
      this.tokens.delete(header);
      return false;
    }
    return true;
  }

  private auth(body: Record<string, unknown>, now: number): Answer {
    for (const field of ['client_id', 'client_secret']) {
      if (typeof body[field] !== 'string') throw new BadRequest(field, `expected a string, got ${describe(body[field])}`);
    }
    if (body['client_id'] !== this.clientId || body['client_secret'] !== this.clientSecret) return error(401, 'invalid client credentials');
    for (const [token, expiry] of this.tokens) if (now >= expiry) this.tokens.delete(token);
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, now + this.tokenTtlSeconds * 1000);
    this.counters.tokensIssued++;
    return json(200, { auth_token: token, expires_in: this.tokenTtlSeconds });
  }

  private alertsPage(body: Record<string, unknown>, now: number): Answer {
    const page = body['page'];
    if (typeof page !== 'number' || !Number.isSafeInteger(page) || page < 0) throw new BadRequest('page', `expected an integer >= 0, got ${describe(page)}`);
    const range = body['time_range'];
    if (!isObject(range)) throw new BadRequest('time_range', `expected an object { from, to }, got ${describe(range)}`);
    const bound = (name: 'from' | 'to'): number => {
      const value = range[name];
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
        throw new BadRequest(`time_range.${name}`, `expected epoch milliseconds (an integer >= 0), got ${describe(value)}`);
      }
      return value;
    };
    const from = bound('from');
    const to = bound('to');
    if (from > to) throw new BadRequest('time_range', `from (${from}) is after to (${to})`);
    const [lo, hi] = casbWindowRange(this.alerts, from, to, this.realtime ? now : undefined);
    const top = hi - page * this.pageSize;
    const bottom = Math.max(lo, top - this.pageSize);
    const alerts: Array<Record<string, unknown>> = [];
    for (let i = top - 1; i >= bottom; i--) alerts.push(casbAlert(i, this.alerts.timeline));
    this.counters.alertsServed += alerts.length;
    return json(200, { alerts });
  }

  private eventsPage(query: URLSearchParams, now: number): Answer {
    const param = (name: string): string | undefined => {
      const values = query.getAll(name);
      if (values.length > 1) throw new BadRequest(name, `given ${values.length} times`);
      return values[0];
    };
    const token = param('nextPage');
    let position: number;
    if (token !== undefined) {
      position = decodeCursor(this.events.timeline, token);
    } else {
      const startTime = param('startTime');
      const parsed =
        startTime === undefined
          ? undefined
          : ISO_UTC.test(startTime)
            ? parseEventTime(startTime)
            : ISO_DATE.test(startTime)
              ? parseEventTime(`${startTime}T00:00:00Z`)
              : undefined;
      if (typeof parsed !== 'number') {
        throw new BadRequest(
          'startTime',
          `expected an ISO-8601 UTC date-time such as "2024-01-01T00:00:00Z" (or a nextPage token), got ${describe(startTime)}`,
        );
      }
      position = casbIndexAtOrAfter(this.events.timeline, parsed);
    }
    const visible = casbVisibleCount(this.events, this.realtime ? now : undefined);
    const end = Math.max(position, Math.min(position + this.pageSize, visible, Number.MAX_SAFE_INTEGER));
    const content: Array<Record<string, unknown>> = [];
    for (let i = position; i < end; i++) content.push(casbEvent(i, this.events.timeline));
    this.counters.eventsServed += content.length;
    return json(200, { size: content.length, nextPageToken: encodeCursor(this.events.timeline, end), content });
  }
}
