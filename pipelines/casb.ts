import * as path from 'node:path';
import { asyncScheduler, concatMap, defer, filter, from, map, mergeMap, Observable, toArray } from 'rxjs';
import type * as t from 'io-ts';
import type { CasbInputConfig, CasbServiceConfig, CollectorConfig } from '../lib/config/collectorConfig';
import { configSecrets } from '../lib/config/collectorConfig';
import { describeError, errorMessage } from '../lib/errors/collectorError';
import type { Logger } from '../lib/log/logger';
import { RepeatedErrorLog } from '../lib/log/repeatedErrorLog';
import { SecretRedactor } from '../lib/log/secretRedactor';
import { dedupWindow, type DedupWindow } from '../lib/operators/dedupWindow';
import { flatten, type JsonObject } from '../lib/operators/flatten';
import { normalizeTime } from '../lib/operators/normalizeTime';
import { sortWithin } from '../lib/operators/sortWithin';
import type { Timed } from '../lib/operators/timed';
import { devoWrite } from '../lib/sinks/devoWrite';
import type { DevoWriter } from '../lib/sinks/devoWriter';
import { Deferred } from '../lib/flow/deferred';
import { CASB_ALERTS_PAGE_SIZE, CasbClient, casbHttpStatus, type CasbClientOptions } from '../lib/sources/casbClient';
import { ProofpointCasbInitVariablesError } from '../lib/sources/casbErrors';
import type { DeadLetterFile } from '../lib/state/deadLetterFile';
import { ServiceStore } from '../lib/state/serviceStore';
import { formatPullStats, PullStats } from '../lib/stats/pullStats';
import { alertsNextState, alertsPage, alertsStart, alertsWindow } from './casbAlertsWindow';
import { eventsNextState, eventsStartTime } from './casbEventsCursor';
import { earlyForgetReporter } from './earlyForgetReporter';
import { CASB_STATE_VERSION, CasbAlertsState, CasbEventsState, isoUtc, pythonRepr } from './casbState';
import type { PipelineDeps, Service } from './service';

/** Internal limits of a CASB pipeline; the defaults suit production. */
export interface CasbTuning {
  /** Safety bound on the pages of one cycle (the next cycle goes on). Default 10 000. */
  readonly maxPagesPerCycle: number;
  /** Passed to the client: timeouts, retries, backoff. */
  readonly client: Partial<Pick<CasbClientOptions, 'timeoutMs' | 'retries' | 'backoffInitialMs' | 'backoffMaxMs' | 'renewBeforeMs'>>;
}

const DEFAULT_TUNING: CasbTuning = { maxPagesPerCycle: 10_000, client: {} };

/** What a CASB service needs besides its config. */
export interface CasbServiceDeps extends PipelineDeps {
  /** The input's client (one limiter per api key), shared by its services. */
  readonly client: SharedCasbClient;
  readonly tuning?: Partial<CasbTuning>;
}

/** One {@link CasbClient} shared by the services of an input, closed when the last one stops. */
export interface SharedCasbClient {
  acquire(): CasbClient;
  release(): Promise<void>;
}

/** A client made on first use and closed when its last user releases it. */
export function sharedCasbClient(make: () => CasbClient): SharedCasbClient {
  let client: CasbClient | undefined;
  let users = 0;
  return {
    acquire() {
      client ??= make();
      users++;
      return client;
    },
    async release() {
      users = Math.max(0, users - 1);
      if (users === 0 && client !== undefined) {
        const closing = client;
        client = undefined;
        await closing.close();
      }
    },
  };
}

/** Base name of a service's files in the state directory. */
export function casbStateBase(stateDirectory: string, inputId: string, service: string): string {
  return path.join(stateDirectory, casbFileBase(inputId, service));
}

function casbFileBase(inputId: string, service: string): string {
  return `proofpoint_casb-${inputId}-${service}`;
}

/** The services of the config's CASB input (none when it is absent or disabled), on the shared sender. */
export function casbServices(config: CollectorConfig, writer: DevoWriter, logger: Logger, tuning?: Partial<CasbTuning>): Service[] {
  const input = config.casb;
  if (input === undefined || !input.enabled) return [];
  if (input.services.length === 0) {
    throw new ProofpointCasbInitVariablesError(1, 'inputs.proofpoint_casb.services has no service: add alerts and/or events, or set inputs.proofpoint_casb.enabled: false');
  }
  const now = Date.now();
  for (const service of input.services) {
    if (service.initialStartTime !== undefined && service.initialStartTime > now) {
      throw new ProofpointCasbInitVariablesError(
        2,
        `inputs.proofpoint_casb.services.${service.name}.initial_start_time_in_utc (${isoUtc(service.initialStartTime)}) is in the future`,
      );
    }
  }
  const redactor = new SecretRedactor(configSecrets(config));
  const clientLogger = logger.child(`InputProcess::ProofpointCasbClient(proofpoint_casb,${input.inputId})`);
  const client = sharedCasbClient(
    () =>
      new CasbClient({
        baseUrl: input.urlBase,
        apiKey: input.apiKey,
        clientId: input.clientId,
        clientSecret: input.clientSecret,
        requestsPerSecond: input.requestsPerSecond,
        logger: clientLogger,
        redactor,
        ...tuning?.client,
      }),
  );
  return input.services.map((service) =>
    casbService(input, service, {
      writer,
      logger,
      client,
      redactor,
      stateDirectory: config.stateDirectory,
      hostname: config.output.hostname,
      batch: config.output.batch,
      ...(tuning === undefined ? {} : { tuning }),
    }),
  );
}

type State = CasbAlertsState | CasbEventsState;

/** One page ready for the pipeline, and the state to persist once its records are delivered. */
interface Page {
  readonly pullingId: number;
  readonly records: readonly unknown[];
  readonly nextState: State | undefined;
  /** Resolved by the pipeline once the page's records are written: the source then fetches the next page. */
  readonly written: Deferred;
  /** The counters of the page's cycle. */
  readonly stats: PullStats;
}

interface Cycle {
  readonly pullingId: number;
  readonly stats: PullStats;
  readonly signal: AbortSignal;
}

interface Context {
  readonly input: CasbInputConfig;
  readonly service: CasbServiceConfig;
  readonly deps: CasbServiceDeps;
  readonly tuning: CasbTuning;
  readonly logger: Logger;
  readonly now: () => number;
  readonly client: CasbClient;
  readonly store: ServiceStore<State>;
  readonly deadLetter: DeadLetterFile;
  readonly dedup: DedupWindow<JsonObject>;
  /** The state as last persisted (or to be persisted): what the next page starts from. */
  state: State;
  /** Counters of the running cycle. */
  stats: PullStats;
  readonly commitErrors: RepeatedErrorLog;
}

const FLATTEN_FIELD: Record<CasbServiceConfig['name'], string> = { alerts: 'related_events', events: 'additionalProperties' };
/** The field holding a record's unique key: de-dup, acknowledgement and journal. */
const KEY_FIELD: Record<CasbServiceConfig['name'], string> = { alerts: 'id', events: 'eventId' };
const PULLER: Record<CasbServiceConfig['name'], string> = { alerts: 'ProofpointCasbAlertsPuller', events: 'ProofpointCasbEventsPuller' };

/**
 * One CASB service as one pipeline, one page at a time: the page source fetches a page only once
 * the previous one is committed (backpressure reaches the REST paging), and each page goes
 * `records → check (bad → dead letter) → dedupWindow(id, 1 h) → normalizeTime('timestamp') →
 * sortWithin → flatten(related_events | additionalProperties) → @devo_pulling_id → devoSink`,
 * after which its state is committed. Alerts pull `[last_event_time, now]` newest first until a
 * short page and move their cursor when the window is done; events follow `next_page_token` until
 * an empty page and commit the token after every page. Every `request_period_in_seconds`.
 */
export function casbService(input: CasbInputConfig, service: CasbServiceConfig, deps: CasbServiceDeps): Service {
  return {
    name: `casb/${service.name}`,
    run: (stop$) =>
      defer(() => {
        const client = deps.client.acquire();
        return from(prepare(input, service, deps, client)).pipe(
          mergeMap((ctx) => pipeline(ctx, stop$)),
          finalizeAsync(() => deps.client.release()),
        );
      }),
  };
}

/** Like `finalize`, for an async cleanup whose failure must not surface. */
function finalizeAsync<T>(cleanup: () => Promise<void>): (source: Observable<T>) => Observable<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const subscription = source.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        void cleanup().catch(() => undefined);
      };
    });
}

async function prepare(input: CasbInputConfig, service: CasbServiceConfig, deps: CasbServiceDeps, client: CasbClient): Promise<Context> {
  const logger = deps.logger.child(`InputProcess::${PULLER[service.name]}(proofpoint_casb,${input.inputId},${service.name},predefined)`);
  const now = deps.now ?? Date.now;
  const tuning = { ...DEFAULT_TUNING, ...deps.tuning };
  logger.info(`${PULLER[service.name]}(proofpoint_casb,${input.inputId},${service.name},predefined) Starting the execution of pre_pull()`);
  const store = await ServiceStore.open<State>({
    directory: deps.stateDirectory,
    base: casbFileBase(input.inputId, service.name),
    service: `casb/${service.name}`,
    version: CASB_STATE_VERSION,
    // Each service reads and writes only its own shape.
    codec: (service.name === 'alerts' ? CasbAlertsState : CasbEventsState) as unknown as t.Type<State, unknown, unknown>,
    logger,
    ...(deps.redactor === undefined ? {} : { redactor: deps.redactor }),
    now,
  });
  const stats = new PullStats(now);
  const reportEarlyForget = earlyForgetReporter(logger, `inputs.proofpoint_casb.services.${service.name}`, service, now);
  const ctx: Context = {
    input,
    service,
    deps,
    tuning,
    logger,
    now,
    client,
    store,
    deadLetter: store.deadLetter,
    dedup: dedupWindow<JsonObject>({
      key: (r) => recordKey(service.name, r),
      maxBytes: service.dedupMaxBytes,
      onDuplicate: () => ctx.stats.duplicates++,
      onEarlyForget: (age) => {
        ctx.stats.forgottenEarly++;
        reportEarlyForget(age);
      },
      ...(deps.scheduler === undefined ? {} : { scheduler: deps.scheduler }),
    }),
    state: undefined as unknown as State,
    stats,
    commitErrors: new RepeatedErrorLog(logger),
  };

  logger.info('Reading persisted data');
  const persisted = await store.stateFile.load();
  logger.info(`Data retrieved from the persistence: ${persisted === undefined ? 'None' : pythonRepr(persisted)}`);
  const configured = service.initialStartTime === undefined ? undefined : isoUtc(service.initialStartTime);
  const fresh = (initial: string): State =>
    service.name === 'alerts'
      ? { initial_start_time_in_utc: initial, last_event_time_in_utc: initial, last_ids: [] }
      : { initial_start_time_in_utc: initial, start_time_in_utc: initial, last_page_token: null };
  let reset = false;
  if (persisted === undefined) {
    logger.warn('Persistence will be overridden due to the retrieved state is empty');
    // Without initial_start_time_in_utc, the first pull covers the last hour.
    ctx.state = fresh(configured ?? isoUtc(Math.floor((now() - 3_600_000) / 1000) * 1000));
    reset = true;
  } else if (configured !== undefined && persisted.initial_start_time_in_utc !== configured) {
    ctx.state = fresh(configured);
    logger.info(
      `Detected initial start time in UTC change: {'values_changed': {'root': {'new_value': '${configured}', 'old_value': '${persisted.initial_start_time_in_utc}'}}}. Resetting state to ${pythonRepr(ctx.state)}`,
    );
    reset = true;
  } else {
    ctx.state = persisted;
  }
  if (reset) {
    // A reset re-ingests from the new start: forget what the old window delivered.
    logger.warn(`Some changes have been detected and the persistence needs to be updated. Previous content: ${pythonRepr(persisted)}. New content: ${pythonRepr(ctx.state)}`);
    logger.info('Updating the persistence');
    try {
      await store.journal.rewrite({ version: 1, entries: [] });
      await store.stateFile.save(ctx.state);
      logger.warn('Persistence has been updated successfully');
    } catch (err) {
      logger.error(describeError(err));
    }
  } else {
    await store.restoreWindow(ctx.dedup);
  }
  logger.info(`${PULLER[service.name]}(proofpoint_casb,${input.inputId},${service.name},predefined) Finalizing the execution of pre_pull()`);
  logger.info(`Starting data collection every ${service.requestPeriodMs / 1000} seconds`);
  return ctx;
}

function pipeline(ctx: Context, stop$: Observable<void>): Observable<void> {
  const field = FLATTEN_FIELD[ctx.service.name];
  return pageSource(ctx, stop$).pipe(
    // One page at a time through the write stage; the source fetches the next page once this
    // one is written (page.written), while earlier pages may still wait for their delivery.
    concatMap((page) =>
      from(page.records).pipe(
        filter((record): record is JsonObject => checkRecord(ctx, record)),
        ctx.dedup,
        normalizeTime('timestamp', (r, reason) => {
          ctx.stats.deadLettered++;
          ctx.deadLetter.write(JSON.stringify(r), `EVENT_TIME_INVALID: ${reason}`);
          // Not delivered: a corrected re-send of the record must pass the window.
          ctx.dedup.forget(recordKey(ctx.service.name, r));
        }),
        sortWithin<JsonObject>({ maxDelayMs: 60_000, maxItems: 100_000 }),
        flatten(field),
        map((r): Timed<JsonObject> => ({ time: r.time, value: { ...r.value, '@devo_pulling_id': String(page.pullingId) } })),
        devoWrite({
          writer: ctx.deps.writer,
          tag: ctx.service.tag,
          hostname: ctx.deps.hostname,
          format: (v: JsonObject) => JSON.stringify(v),
          ack: (v: JsonObject) => recordKey(ctx.service.name, v),
          ...(ctx.deps.batch === undefined ? {} : { batch: ctx.deps.batch }),
          ...(ctx.deps.scheduler === undefined ? {} : { scheduler: ctx.deps.scheduler }),
        }),
        toArray(),
        map((batches) => {
          page.written.resolve();
          return { page, batches };
        }),
      ),
    ),
    // Commits follow delivery, in page order.
    concatMap(({ page, batches }) =>
      from(Promise.all(batches.map((b) => b.delivered))).pipe(concatMap(() => from(commit(ctx, page, batches.flatMap((b) => b.records))))),
    ),
  );
}

function recordKey(service: CasbServiceConfig['name'], record: JsonObject): string {
  return String(record[KEY_FIELD[service]]);
}

/** A record must be a JSON object with its key (`id` for alerts, `eventId` for events); anything else is dead-lettered. */
function checkRecord(ctx: Context, record: unknown): boolean {
  const key = KEY_FIELD[ctx.service.name];
  const reason =
    typeof record !== 'object' || record === null || Array.isArray(record)
      ? 'not a JSON object'
      : !['string', 'number'].includes(typeof (record as JsonObject)[key]) || (record as JsonObject)[key] === ''
        ? `no ${key} (the record's unique key)`
        : undefined;
  if (reason === undefined) return true;
  ctx.stats.deadLettered++;
  ctx.deadLetter.write(JSON.stringify(record) ?? String(record), reason);
  return false;
}

/** Persists what a delivered page covers: its keys in the journal, then the cursor. Never throws. */
async function commit(ctx: Context, page: Page, delivered: ReadonlyArray<Timed<string>>): Promise<void> {
  page.stats.sent += delivered.length;
  const keys = new Map<string, number>();
  for (const record of delivered) {
    if (keys.has(record.value)) continue;
    const entry = ctx.dedup.confirm(record.value);
    if (entry !== undefined) keys.set(entry[0], entry[1]);
  }
  if (page.nextState !== undefined) ctx.logger.info('Updating the persistence');
  try {
    await ctx.store.commit([...keys], ctx.dedup, page.nextState, Number.POSITIVE_INFINITY);
  } catch (err) {
    ctx.commitErrors.report(err);
  }
}

/**
 * The pull cycles as a stream of pages: each cycle starts `request_period_in_seconds` after the
 * previous start, and the next page is fetched only once the pipeline has written the previous
 * one to the socket (`page.written`): backpressure reaches the REST paging. `stop$` lets the page
 * in progress finish, then completes.
 */
function pageSource(ctx: Context, stop$: Observable<void>): Observable<Page> {
  return new Observable<Page>((subscriber) => {
    const abort = new AbortController();
    let stopping = false;
    let wake: () => void = () => undefined;
    let current: Page | undefined;
    const stopSubscription = stop$.subscribe(() => {
      stopping = true;
      abort.abort();
      wake();
    });
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = (ctx.deps.scheduler ?? asyncScheduler).schedule(() => resolve(), ms);
        wake = () => {
          timer.unsubscribe();
          resolve();
        };
      });

    const loop = async (): Promise<void> => {
      while (!stopping && !subscriber.closed) {
        const started = ctx.now();
        const cycle: Cycle = { pullingId: started, stats: new PullStats(ctx.now), signal: abort.signal };
        ctx.stats = cycle.stats;
        const heading = `Statistics for this pull cycle (@devo_pulling_id=${cycle.pullingId})`;
        ctx.logger.info('Pull Started');
        try {
          for await (const page of ctx.service.name === 'alerts' ? alertPages(ctx, cycle) : eventPages(ctx, cycle)) {
            current = page;
            subscriber.next(page);
            await page.written.promise;
            ctx.logger.info(formatPullStats(cycle.stats.peek(), `(Partial) ${heading}`));
            if (stopping || subscriber.closed) break;
          }
          ctx.logger.info(formatPullStats(cycle.stats.peek(), heading));
          if (!stopping) ctx.logger.info('The data is up to date!');
        } catch (err) {
          if (stopping || subscriber.closed) break;
          ctx.logger.error(`${describeError(err)}. The next pull cycle tries again`);
          ctx.logger.info(formatPullStats(cycle.stats.peek(), heading));
        }
        if (stopping || subscriber.closed) break;
        const elapsed = ctx.now() - started;
        const wait = Math.max(0, ctx.service.requestPeriodMs - elapsed);
        ctx.logger.info(`Data collection completed. Elapsed time: ${(elapsed / 1000).toFixed(3)} seconds. Waiting for ${(wait / 1000).toFixed(3)} second(s) until the next one`);
        await sleep(wait);
      }
    };
    loop().then(
      () => subscriber.complete(),
      (err: unknown) => subscriber.error(err),
    );
    return () => {
      stopping = true;
      stopSubscription.unsubscribe();
      abort.abort();
      current?.written.reject(new Error('the pipeline stopped'));
      wake();
    };
  });
}

/**
 * `/v1/alerts` for the window `[last_event_time_in_utc, pull start]` (see {@link alertsWindow}),
 * page after page (newest first) until a short page. Alerts at the window's start whose id is in
 * `last_ids` were sent by the previous window and are skipped. The cursor moves once the whole
 * window is delivered: to the latest alert time seen (never past the window's end), with the ids
 * at that time.
 */
async function* alertPages(ctx: Context, cycle: Cycle): AsyncGenerator<Page> {
  const state = ctx.state as CasbAlertsState;
  const window = alertsWindow(state, cycle.pullingId);
  let progress = alertsStart(window);
  let total = 0;
  ctx.logger.info(`Retrieving/sending alerts event(s) having timestamp between ${isoUtc(window.from)} and ${isoUtc(window.to)}`);
  for (let page = 0; page < ctx.tuning.maxPagesPerCycle; page++) {
    const alerts = await ctx.client.alerts(page, window.from, window.to, cycle.signal);
    cycle.stats.requests++;
    cycle.stats.received += alerts.length;
    total += alerts.length;
    const folded = alertsPage(window, progress, alerts);
    cycle.stats.duplicates += folded.skipped;
    progress = folded.progress;
    const last = alerts.length < CASB_ALERTS_PAGE_SIZE;
    const nextState = last ? alertsNextState(state, progress) : undefined;
    // The next cycle continues from here at once; the state is persisted once the page is delivered.
    if (nextState !== undefined) ctx.state = nextState;
    yield { pullingId: cycle.pullingId, records: folded.records, nextState, written: new Deferred(), stats: cycle.stats };
    if (last) break;
  }
  ctx.logger.info(`Retrieved ${total} alerts event(s) from ${isoUtc(window.from)} to ${isoUtc(window.to)}`);
}

/**
 * `/v2/events` from the stored page token (or from `start_time_in_utc`), following
 * `next_page_token` page after page until an empty page (caught up); the token is committed after
 * every delivered page, so a restart resumes at the right page. A refused token (400) is dropped
 * and the pull resumes from the latest delivered event time (the de-dup window absorbs the overlap).
 */
async function* eventPages(ctx: Context, cycle: Cycle): AsyncGenerator<Page> {
  let state = ctx.state as CasbEventsState;
  for (let page = 0; page < ctx.tuning.maxPagesPerCycle; page++) {
    const startTime = eventsStartTime(state, cycle.pullingId);
    ctx.logger.info(`Retrieving events event(s) having start_time=${isoUtc(startTime)} and last_page_token=${state.last_page_token ?? 'None'}`);
    let result;
    try {
      result = await ctx.client.events(startTime, state.last_page_token ?? undefined, cycle.signal);
    } catch (err) {
      if (casbHttpStatus(err) !== 400 || state.last_page_token === null) throw err;
      ctx.logger.warn(`The stored page token was refused (${errorMessage(err)}); resuming from start_time_in_utc=${state.start_time_in_utc}`);
      state = { ...state, last_page_token: null };
      continue;
    }
    cycle.stats.requests++;
    cycle.stats.received += result.events.length;
    state = eventsNextState(state, result.events, result.nextPageToken, cycle.pullingId);
    // The next page and cycle continue from here at once; the state is persisted once the page is delivered.
    ctx.state = state;
    yield { pullingId: cycle.pullingId, records: result.events, nextState: state, written: new Deferred(), stats: cycle.stats };
    if (result.events.length === 0) {
      ctx.logger.info('No more new events events found');
      break;
    }
  }
}
