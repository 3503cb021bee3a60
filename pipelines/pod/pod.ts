import * as path from 'node:path';
import { defer, from, interval, mergeMap, Observable, tap } from 'rxjs';
import type { CollectorConfig, PodInputConfig, PodServiceConfig } from '../../lib/config/collectorConfig';
import { configSecrets } from '../../lib/config/collectorConfig';
import { problemText } from '../../lib/errors/problems';
import { reportError } from '../../lib/log/reportError';
import { ByteArena } from '../../lib/flow/byteArena';
import { StreamFlow } from '../../lib/flow/streamFlow';
import type { Logger } from '../../lib/log/logger';
import { SecretRedactor } from '../../lib/log/secretRedactor';
import { commitAcks } from '../../lib/operators/commitAcks';
import { gateArrays } from '../../lib/operators/gate';
import { sortWithinArrays } from '../../lib/operators/sortWithin';
import { devoSinkArrays, type SinkAck } from '../../lib/sinks/devoSink';
import type { DevoWriter } from '../../lib/sinks/devoWriter';
import { podKeyField, type PodFrame } from '../../lib/sources/podFrame';
import { podSource } from '../../lib/sources/podSource';
import { formatPullStats, PullStats } from '../../lib/stats/pullStats';
import type { CollectorTelemetry } from '../../lib/telemetry/collectorTelemetry';
import { decidePodCatchUp, initialCatchUpFloor } from './podCatchUp';
import { PodCommits, podCursor } from './podCommits';
import { podFrames } from './podFrames';
import { podKeep } from './podKeep';
import { PodSessions } from './podSessions';
import { POD_STATE_MIGRATIONS, POD_STATE_VERSION, PodState } from './podState';
import { POD_DEFAULT_TUNING, podTuningFor, type PodTuning } from './podTuning';
import type { PipelineDeps, Service } from '../runtime/service';
import { openServiceSkeleton, type ServiceSkeleton } from '../serviceSkeleton';

/**
 * What the figures of a PoD statistics line count: a stream has no cycle, so the events sent in a
 * period are not those received in it.
 */
export const POD_STATS_NOTE =
  '(Requests are session attempts, failed handshakes included; sent counts the events whose delivery Devo confirmed in this period, whenever they were received.)';

/** What a PoD service needs besides its config. */
export interface PodServiceDeps extends PipelineDeps {
  readonly tuning?: Partial<PodTuning>;
}

/** Base name of a service's files in the state directory. */
export function podStateBase(stateDirectory: string, inputId: string, service: string): string {
  return path.join(stateDirectory, podFileBase(inputId, service));
}

function podFileBase(inputId: string, service: string): string {
  return `proofpoint_on_demand-${inputId}-${service}`;
}

/**
 * The services of the config's PoD input (none when it is absent or disabled), on the shared
 * sender.
 */
export function podServices(config: CollectorConfig, writer: DevoWriter, logger: Logger, telemetry?: CollectorTelemetry): Service[] {
  const input = config.pod;
  if (input === undefined || !input.enabled) return [];
  const redactor = new SecretRedactor(configSecrets(config));
  const tuning = podTuningFor(config);
  return input.services.map((service) =>
    podService(input, service, {
      tuning,
      writer,
      logger,
      redactor,
      ...(telemetry === undefined ? {} : { telemetry: telemetry.service('proofpoint_on_demand', input.inputId, service.name) }),
      stateDirectory: config.stateDirectory,
      hostname: config.output.hostname,
      batch: config.output.batch,
    }),
  );
}

/**
 * One PoD service as one pipeline (docs/ARCHITECTURE.md, "The shape"):
 * `podSource → podFrames (parse, bad → dead letter) → podKeep (de-dup on guid|id for 1 h, the time of 'ts',
 * copy into the arena) → gate → sortWithin → devoSink → commitAcks`, the events of one socket read as one array. Events are forwarded as the vendor
 * sent them, tagged `mail.proofpoint.pod.<service>` (or `override_tag_base`), the header time
 * being the event's `ts` in UTC. The flow control is one {@link StreamFlow}: the sink's valve
 * pauses the socket, a session's end flushes the sort window. The cursor (last delivered event
 * time) and the delivered de-dup keys are persisted only once the relay confirmed reading them.
 * On stop the socket closes, everything held is flushed and delivered, and a clean stop is
 * recorded, so that a restart within the hour needs no `sinceTime`.
 */
export function podService(input: PodInputConfig, service: PodServiceConfig, deps: PodServiceDeps): Service {
  const name = `pod/${service.name}`;
  return {
    name,
    run: (stop$) => defer(() => from(prepare(input, service, deps))).pipe(mergeMap((ctx) => pipeline(ctx, stop$))),
  };
}

interface Context extends ServiceSkeleton<PodState, PodFrame> {
  readonly input: PodInputConfig;
  readonly service: PodServiceConfig;
  readonly deps: PodServiceDeps;
  readonly tuning: PodTuning;
  /** The catch-up floor this run starts with. */
  readonly catchUpFrom: number;
}

async function prepare(input: PodInputConfig, service: PodServiceConfig, deps: PodServiceDeps): Promise<Context> {
  const skeleton = await openServiceSkeleton<PodState, PodFrame>(
    {
      product: 'proofpoint_on_demand',
      inputId: input.inputId,
      service,
      id: `pod/${service.name}`,
      loggerName: `PodPuller(proofpoint_on_demand,${input.inputId},${service.name},predefined)`,
      state: { base: podFileBase(input.inputId, service.name), version: POD_STATE_VERSION, codec: PodState, migrations: POD_STATE_MIGRATIONS },
      key: (f) => f.key,
      sizeForJournal: true,
      render: (state) => JSON.stringify(state),
    },
    deps,
  );
  const { store, dedup, persisted, now, logger } = skeleton;
  await store.restoreWindow(dedup);
  // The floor is persisted before anything is delivered: a crash from here on, however early, catches up from it.
  const first = decidePodCatchUp({
    now: now(),
    persisted,
    configuredStartTime: service.startTime,
    lastEventTime: persisted?.lastEventTime ?? undefined,
    lastSessionEnd: undefined,
  });
  const catchUpFrom = initialCatchUpFloor(first, persisted, now());
  // Mark the run as unclean until it stops cleanly: a crash from here on is detected at restart.
  const marked = await store.commit([], dedup, podCursor(service, now(), persisted?.lastEventTime ?? undefined, catchUpFrom, 'error'), true);
  if (marked.error !== undefined) reportError(logger, marked.error);
  return { ...skeleton, input, service, deps, tuning: { ...POD_DEFAULT_TUNING, ...deps.tuning }, catchUpFrom };
}

function pipeline(ctx: Context, stop$: Observable<void>): Observable<SinkAck<string>> {
  const { service, deps, tuning, logger, telemetry, dedup, store, now } = ctx;
  const { counters } = telemetry;
  const keyField = podKeyField(service.name);
  // Backpressure (sink → source) and the session breaks (source → sort window).
  const flow = new StreamFlow({ maxBytes: tuning.valveMaxBytes, maxItems: tuning.valveMaxItems });
  // Events wait up to a second (sort window, batch): their bytes wait in reused slabs, not in
  // socket reads. A copy is made once an event is kept, and released by the sink alone.
  const arena = new ByteArena();
  const commits = new PodCommits({
    store,
    dedup,
    telemetry,
    logger,
    now,
    service,
    lastEventTime: ctx.persisted?.lastEventTime ?? undefined,
    catchUpFrom: ctx.catchUpFrom,
  });
  let sorting = 0;
  ctx.holding(
    () => sorting,
    () => flow.valve.inFlight.items,
  );
  const sessions = new PodSessions({ telemetry, streamBroke: () => flow.streamBroke(), now });

  const source$ = podSource({
    urlBase: service.urlBase,
    clusterId: ctx.input.clusterId,
    type: service.name,
    apiToken: ctx.input.apiToken,
    periodMs: service.periodMs,
    valve: flow.valve,
    pingIntervalMs: tuning.pingIntervalMs,
    pongTimeoutMs: tuning.pongTimeoutMs,
    backoffMaxMs: tuning.backoffMaxMs,
    badSettingsRetryMs: tuning.badSettingsRetryMs,
    logger,
    stop$,
    onAttempt: (outcome) => sessions.attempt(outcome),
    ...(deps.scheduler === undefined ? {} : { scheduler: deps.scheduler }),
    sinceTime: () => {
      const decision = decidePodCatchUp({
        now: now(),
        persisted: ctx.persisted,
        configuredStartTime: service.startTime,
        lastEventTime: store.state?.lastEventTime ?? undefined,
        lastSessionEnd: sessions.lastEnd,
      });
      (decision.sinceTime === undefined ? logger.debug : logger.info)(
        decision.sinceTime === undefined ? `No sinceTime: ${decision.reason}` : `sinceTime=${new Date(decision.sinceTime).toISOString()}: ${decision.reason}`,
      );
      return decision.sinceTime;
    },
  });

  const deadLetter = (text: string, reason: string): void => ctx.deadLetter(text, reason);
  const frames$ = podFrames(source$, {
    keyField,
    limits: { maxBytes: service.maxEventBytes, setting: `inputs.proofpoint_on_demand.services.${service.name}.max_event_size_in_mb` },
    sessions,
    deadLetter,
    onSkipped: (time) => commits.skip(time),
  });
  const events$ = frames$.pipe(
    // Events travel in arrays from here on, one per socket read (podFrames).
    podKeep({ dedup, arena, timeInvalid: (f, reason) => deadLetter(f.raw.toString('utf8'), problemText('EVENT_TIME_INVALID', reason)) }),
    tap((kept) => (sorting += kept.length)),
    // An event older than the catch-up floor waits for a lower one to be written (rare: once per hour of disorder).
    gateArrays({ admit: (e) => commits.admit(e.time), valve: flow.valve, size: (e) => e.value.raw.length }),
    sortWithinArrays({
      maxDelayMs: tuning.sortMaxDelayMs,
      maxItems: tuning.sortMaxItems,
      maxBytes: tuning.sortMaxBytes,
      size: (e) => e.value.raw.length,
      flush$: flow.breaks$,
    }),
    tap((sorted) => (sorting -= sorted.length)),
    devoSinkArrays({
      writer: deps.writer,
      tag: service.tag,
      hostname: deps.hostname,
      format: (f: PodFrame) => f.raw,
      // parsePodFrame makes every raw line break a space.
      cleanBodies: true,
      ack: (f: PodFrame) => f.key,
      release: (body) => arena.release(body),
      valve: flow.valve,
      ...(deps.batch === undefined ? {} : { batch: deps.batch }),
      ...(deps.scheduler === undefined ? {} : { scheduler: deps.scheduler }),
    }),
    commitAcks<SinkAck<string>>({
      intervalMs: tuning.commitIntervalMs,
      apply: (ack) => commits.apply(ack),
      persist: (reason) => commits.persist(reason),
      onError: (err) => reportError(logger, err),
      ...(deps.scheduler === undefined ? {} : { scheduler: deps.scheduler }),
    }),
  );

  return new Observable<SinkAck<string>>((subscriber) => {
    const period = tuning.statsIntervalMs ?? service.periodMs;
    const stats = new PullStats(counters, now);
    const logStats = (heading: string) => logger.info(formatPullStats(stats.take(), heading, POD_STATS_NOTE));
    const statsTimer = interval(period, deps.scheduler).subscribe(() => logStats(`Statistics for the last ${period / 1000} s`));
    const pauses = flow.valve.open$.subscribe((open) => telemetry.paused(!open));
    const subscription = events$.subscribe(subscriber);
    return () => {
      statsTimer.unsubscribe();
      pauses.unsubscribe();
      subscription.unsubscribe();
      logStats('Statistics at close');
      ctx.close();
    };
  });
}
