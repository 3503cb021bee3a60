import * as path from 'node:path';
import { concatMap, defer, filter, from, map, mergeMap, type Observable, tap, toArray } from 'rxjs';
import type { CasbInputConfig, CasbServiceConfig } from '../../lib/config/collectorConfig';
import { problemText } from '../../lib/errors/problems';
import { reportError } from '../../lib/log/reportError';
import { Valve } from '../../lib/flow/valve';
import { finalizeAsync } from '../../lib/operators/finalizeAsync';
import { flatten, type JsonObject } from '../../lib/operators/flatten';
import { normalizeTime } from '../../lib/operators/normalizeTime';
import { sortWithin } from '../../lib/operators/sortWithin';
import type { Timed } from '../../lib/operators/timed';
import { devoWrite, type WrittenBatch } from '../../lib/sinks/devoWrite';
import { CasbClient, type CasbClientOptions } from '../../lib/sources/casbClient';
import { CASB_NESTED_FIELD, CASB_TIME_FIELD, checkRecord, recordKey } from '../../lib/sources/casbRecord';
import type { SharedCasbClient } from '../../lib/sources/sharedCasbClient';
import { alertPages, eventPages } from './casbPages';
import { pullCycles, type CasbPage } from './casbPullCycles';
import { decideCasbStart } from './casbStart';
import { CASB_STATE_VERSION, casbStateCodec, pythonRepr, type CasbState } from './casbState';
import type { PipelineDeps, Service } from '../runtime/service';
import { openServiceSkeleton, type ServiceSkeleton } from '../serviceSkeleton';

/** Internal limits of a CASB pipeline; the defaults suit production. */
export interface CasbTuning {
  /** Safety bound on the pages of one cycle (the next cycle goes on). Default 10 000. */
  readonly maxPagesPerCycle: number;
  /** Most records of a page the sort window holds. Default 100 000 (or the service's share of the queue limits). */
  readonly sortMaxItems: number;
  /** The sink's valve: records are flattened only while it holds less (lines not yet written). Default 4 MiB, 4096 (or the share). */
  readonly valveMaxBytes: number;
  readonly valveMaxItems: number;
  /** Passed to the client: timeouts, retries, backoff. */
  readonly client: Partial<Pick<CasbClientOptions, 'timeoutMs' | 'retries' | 'backoffInitialMs' | 'backoffMaxMs' | 'renewBeforeMs'>>;
}

export const CASB_DEFAULT_TUNING: CasbTuning = {
  maxPagesPerCycle: 10_000,
  sortMaxItems: 100_000,
  valveMaxBytes: 4 * 1024 * 1024,
  valveMaxItems: 4096,
  client: {},
};

/** What a CASB service needs besides its config. */
export interface CasbServiceDeps extends PipelineDeps {
  /** The input's client (one limiter per api key), shared by its services. */
  readonly client: SharedCasbClient;
  readonly tuning?: Partial<CasbTuning>;
}

/** Base name of a service's files in the state directory. */
export function casbStateBase(stateDirectory: string, inputId: string, service: string): string {
  return path.join(stateDirectory, casbFileBase(inputId, service));
}

function casbFileBase(inputId: string, service: string): string {
  return `proofpoint_casb-${inputId}-${service}`;
}

interface Context extends ServiceSkeleton<CasbState, JsonObject> {
  readonly service: CasbServiceConfig;
  readonly deps: CasbServiceDeps;
  readonly tuning: CasbTuning;
  readonly client: CasbClient;
  /** Where the first pull cycle starts. */
  readonly start: CasbState;
}

const PULLER: Record<CasbServiceConfig['name'], string> = { alerts: 'ProofpointCasbAlertsPuller', events: 'ProofpointCasbEventsPuller' };

/**
 * One CASB service as one pipeline: the pull cycles ({@link pullCycles}) emit pages, and each
 * page goes `records → check (bad → dead letter) → dedupWindow(the record key, 1 h) → normalizeTime(its time)
 * → sortWithin → flatten(its nested array) → @devo_pulling_id → devoWrite` (the names: `lib/sources/casbRecord.ts`);
 * once written the next page is fetched, and once delivered its keys and state are committed, in
 * page order. Alerts pull `[last_event_time, now]` newest first until a short page and move their
 * cursor when the window is done; events follow `nextPageToken` until an empty page and
 * commit the token after every page. Every `request_period_in_seconds`.
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

async function prepare(input: CasbInputConfig, service: CasbServiceConfig, deps: CasbServiceDeps, client: CasbClient): Promise<Context> {
  const puller = `${PULLER[service.name]}(proofpoint_casb,${input.inputId},${service.name},predefined)`;
  const skeleton = await openServiceSkeleton<CasbState, JsonObject>(
    {
      product: 'proofpoint_casb',
      inputId: input.inputId,
      service,
      id: `casb/${service.name}`,
      loggerName: puller,
      state: { base: casbFileBase(input.inputId, service.name), version: CASB_STATE_VERSION, codec: casbStateCodec(service.name) },
      key: (r) => recordKey(service.name, r),
      render: pythonRepr,
      beforeOpen: (logger) => logger.info(`${puller} Starting the execution of pre_pull()`),
    },
    deps,
  );
  const { logger, store, dedup, persisted, now } = skeleton;
  const start = decideCasbStart(service, persisted, now());
  if (start.kind === 'resume') await store.restoreWindow(dedup);
  else {
    if (start.kind === 'empty') logger.warn('Persistence will be overridden due to the retrieved state is empty');
    else {
      logger.info(
        `Detected initial start time in UTC change: {'values_changed': {'root': {'new_value': '${start.state.initial_start_time_in_utc}', 'old_value': '${persisted?.initial_start_time_in_utc ?? ''}'}}}. Resetting state to ${pythonRepr(start.state)}`,
      );
    }
    // A reset re-ingests from the new start: what the old window delivered is forgotten.
    logger.warn(
      `Some changes have been detected and the persistence needs to be updated. Previous content: ${pythonRepr(persisted)}. New content: ${pythonRepr(start.state)}`,
    );
    logger.info('Updating the persistence');
    try {
      await store.reset(start.state);
      logger.warn('Persistence has been updated successfully');
    } catch (err) {
      reportError(logger, err);
    }
  }
  logger.info(`${puller} Finalizing the execution of pre_pull()`);
  logger.info(`Starting data collection every ${service.requestPeriodMs / 1000} seconds`);
  return { ...skeleton, service, deps, tuning: { ...CASB_DEFAULT_TUNING, ...deps.tuning }, client, start: start.state };
}

function pipeline(ctx: Context, stop$: Observable<void>): Observable<void> {
  const { service, deps, dedup, telemetry } = ctx;
  const field = CASB_NESTED_FIELD[service.name];
  const pagesDeps = { client: ctx.client, logger: ctx.logger, maxPagesPerCycle: ctx.tuning.maxPagesPerCycle };
  // What the page in progress holds: in the sort window (telemetry), and in the write stage until
  // written. The flattening waits while the valve is closed, so a page's lines are made as the socket takes them.
  let sorting = 0;
  const sinkHeld = new Valve({ maxBytes: ctx.tuning.valveMaxBytes, maxItems: ctx.tuning.valveMaxItems });
  ctx.holding(
    () => sorting,
    () => sinkHeld.inFlight.items,
  );
  const deadLetter = (text: string, reason: string) => ctx.deadLetter(text, reason);
  const pages$ = pullCycles({
    start: ctx.start,
    // Each service's store holds its own shape only (casbStateCodec).
    pages: (cycle, position) => ('last_ids' in position ? alertPages(pagesDeps, cycle, position) : eventPages(pagesDeps, cycle, position)),
    periodMs: service.requestPeriodMs,
    logger: ctx.logger,
    now: ctx.now,
    telemetry,
    stop$,
    ...(deps.scheduler === undefined ? {} : { scheduler: deps.scheduler }),
  });

  /** The page's records through the write stage: emits the written batches once all are written. */
  const writePage = (page: CasbPage) =>
    from(page.records)
      .pipe(
        filter((record): record is JsonObject => checkRecord(service.name, record, deadLetter)),
        dedup,
        normalizeTime(CASB_TIME_FIELD, (r, reason) => {
          deadLetter(JSON.stringify(r), problemText('EVENT_TIME_INVALID', reason));
          // Not delivered: a corrected re-send of the record must pass the window.
          dedup.forget(recordKey(service.name, r));
        }),
      )
      .pipe(
        tap(() => sorting++),
        sortWithin<JsonObject>({ maxDelayMs: 60_000, maxItems: ctx.tuning.sortMaxItems }),
        tap(() => sorting--),
        flatten(field, { valve: sinkHeld }),
        map((r): Timed<JsonObject> => ({ time: r.time, value: { ...r.value, '@devo_pulling_id': String(page.pullingId) } })),
        devoWrite({
          writer: deps.writer,
          tag: service.tag,
          hostname: deps.hostname,
          format: (v: JsonObject) => JSON.stringify(v),
          ack: (v: JsonObject) => recordKey(service.name, v),
          valve: sinkHeld,
          ...(deps.batch === undefined ? {} : { batch: deps.batch }),
          ...(deps.scheduler === undefined ? {} : { scheduler: deps.scheduler }),
        }),
        toArray(),
        map((batches) => {
          page.written.resolve();
          return batches;
        }),
      );

  // The state the delivered page leads to (alerts: after the window is done; events: every page).
  let pageState: CasbState | undefined;
  const commits = ctx.commits({ delivered: () => undefined, state: () => pageState });
  /** Persists what a delivered page covers: its keys in the journal, then its state. Never throws. */
  const commit = async (page: CasbPage, batches: ReadonlyArray<WrittenBatch<string>>): Promise<void> => {
    for (const batch of batches) commits.apply(batch);
    pageState = page.nextState;
    if (pageState !== undefined) ctx.logger.info('Updating the persistence');
    await commits.persist('commit');
  };

  return pages$.pipe(
    // One page at a time through the write stage; earlier pages may still wait for delivery.
    concatMap((page) => writePage(page).pipe(map((batches) => ({ page, batches })))),
    // Commits follow delivery, in page order.
    concatMap(({ page, batches }) => from(Promise.all(batches.map((b) => b.delivered))).pipe(concatMap(() => from(commit(page, batches))))),
  );
}
