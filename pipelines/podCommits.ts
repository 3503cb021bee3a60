import type { PodServiceConfig } from '../lib/config/collectorConfig';
import type { Logger } from '../lib/log/logger';
import { RepeatedErrorLog } from '../lib/log/repeatedErrorLog';
import type { CommitReason } from '../lib/operators/commitAcks';
import type { DedupWindow } from '../lib/operators/dedupWindow';
import type { SinkAck } from '../lib/sinks/devoSink';
import { PendingKeys } from '../lib/state/pendingKeys';
import type { ServiceStore } from '../lib/state/serviceStore';
import type { ServiceTelemetry } from '../lib/telemetry/serviceTelemetry';
import { CURSOR_MAX_SKEW_MS } from './podCatchUp';
import { hourOf, type PodState } from './podState';

/** What {@link PodCommits} works with. */
export interface PodCommitsDeps {
  /** The only writer of the cursor. */
  readonly store: ServiceStore<PodState>;
  readonly dedup: Pick<DedupWindow<unknown>, 'confirm' | 'restore' | 'size' | 'exportState'>;
  /** Counts what is sent and when the state was written. */
  readonly telemetry: ServiceTelemetry;
  readonly logger: Logger;
  readonly now: () => number;
  readonly service: Pick<PodServiceConfig, 'startTime'>;
  /** The cursor found at start. */
  readonly lastEventTime: number | undefined;
  /** The catch-up floor this run starts with (see {@link PodState}); persisted by the run's first commit. */
  readonly catchUpFrom: number | undefined;
}

/**
 * The commit step of a PoD pipeline: {@link admit} before an event goes to Devo, `apply` and
 * `persist` of `commitAcks` after. It keeps the catch-up floor (`catchUpFrom`): an event older
 * than the floor is admitted only once a lower floor is persisted, so that a crash at any moment,
 * before any delivery was confirmed too, catches up from early enough; the floor rises only with
 * a commit, to the oldest hour still in flight (or the last delivered event's). It folds each
 * delivery into the keys delivered since the last commit and the event time the cursor moves to,
 * and hands them to the store, which keeps the cursor.
 */
export class PodCommits {
  private readonly pending = new PendingKeys();
  private lastEventTime: number | undefined;
  private catchUpFrom: number | undefined;
  /** Events admitted and not yet delivered, per hour of their time. */
  private readonly inFlight = new Map<number, number>();
  private readonly errors: RepeatedErrorLog;

  constructor(private readonly deps: PodCommitsDeps) {
    this.lastEventTime = deps.lastEventTime;
    this.catchUpFrom = deps.catchUpFrom;
    this.errors = new RepeatedErrorLog(deps.logger);
  }

  /**
   * An event of `time` is about to go to Devo: `undefined` when it may go now, or the write of a
   * lower floor to wait for (it never rejects).
   */
  admit(time: number): Promise<void> | undefined {
    const hour = hourOf(time);
    this.inFlight.set(hour, (this.inFlight.get(hour) ?? 0) + 1);
    if (this.catchUpFrom !== undefined && hour >= this.catchUpFrom) return undefined;
    this.catchUpFrom = hour;
    return this.persist('commit');
  }

  /** Folds one delivered batch in. */
  apply(ack: SinkAck<string>): void {
    const { telemetry } = this.deps;
    telemetry.counters.sent += ack.records.length;
    telemetry.counters.bytesSent += ack.bytes;
    // The cursor never runs ahead of the clock: an event stamped in the future (a wrong MTA
    // clock, a hostile server) is delivered but does not move it, or the next catch-up would
    // start after the events it must cover. Too early only costs de-duplicated replays.
    const latestAllowed = this.deps.now() + CURSOR_MAX_SKEW_MS;
    for (const record of ack.records) {
      const time = record.time;
      const hour = hourOf(time);
      const left = (this.inFlight.get(hour) ?? 1) - 1;
      if (left > 0) this.inFlight.set(hour, left);
      else this.inFlight.delete(hour);
      if (time <= latestAllowed) {
        if (this.lastEventTime === undefined || time > this.lastEventTime) this.lastEventTime = time;
        telemetry.delivered(time);
      }
      const entry = this.deps.dedup.confirm(record.value);
      if (entry !== undefined) this.pending.add(entry);
    }
  }

  /**
   * An event of `time` that will not be delivered (dead-lettered for its size) moves the cursor
   * as a delivered one would, so that no catch-up asks for it again. The floor is not affected:
   * it follows what is still in flight.
   */
  skip(time: number): void {
    if (time > this.deps.now() + CURSOR_MAX_SKEW_MS) return;
    if (this.lastEventTime === undefined || time > this.lastEventTime) this.lastEventTime = time;
  }

  /** Persists what was folded in, as of `reason`. Never throws (failures are logged, and retried next time). */
  async persist(reason: CommitReason): Promise<void> {
    const { store, dedup, service, now } = this.deps;
    this.raiseFloor();
    const state = podCursor(service, now(), this.lastEventTime, this.catchUpFrom, reason);
    const outcome = await store.commit(this.pending.take(), dedup, state, reason !== 'commit');
    if (outcome.deferred === true) return;
    this.deps.telemetry.committed(outcome.error === undefined);
    if (outcome.error !== undefined) this.errors.report(outcome.error);
  }

  /** What was delivered lets the floor rise: to the oldest hour still in flight, at most the last delivered event's. */
  private raiseFloor(): void {
    if (this.lastEventTime === undefined) return;
    let floor = hourOf(this.lastEventTime);
    for (const hour of this.inFlight.keys()) if (hour < floor) floor = hour;
    if (this.catchUpFrom === undefined || floor > this.catchUpFrom) this.catchUpFrom = floor;
  }
}

/** The PoD state to persist at `now`, as of `reason` (see {@link CommitReason}). */
export function podCursor(
  service: Pick<PodServiceConfig, 'startTime'>,
  now: number,
  lastEventTime: number | undefined,
  catchUpFrom: number | undefined,
  reason: CommitReason,
): PodState {
  return {
    lastEventTime: lastEventTime ?? null,
    catchUpFrom: catchUpFrom ?? null,
    cleanStop: reason === 'complete',
    stoppedAt: reason === 'commit' ? null : now,
    configuredStartTime: service.startTime ?? null,
  };
}
