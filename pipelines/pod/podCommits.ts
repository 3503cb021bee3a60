import type { PodServiceConfig } from '../../lib/config/collectorConfig';
import type { Logger } from '../../lib/log/logger';
import type { CommitReason } from '../../lib/operators/commitAcks';
import type { DedupWindow } from '../../lib/operators/dedupWindow';
import type { ServiceStore } from '../../lib/state/serviceStore';
import type { ServiceTelemetry } from '../../lib/telemetry/serviceTelemetry';
import { CommitStep, mayMoveCursor, type CursorPolicy, type DeliveredBatch } from '../commitStep';
import { hourOf, type PodState } from './podState';

/** What {@link PodCommits} works with. */
export interface PodCommitsDeps {
  /** The only writer of the cursor. */
  readonly store: ServiceStore<PodState>;
  readonly dedup: Pick<DedupWindow<unknown>, 'confirm' | 'restore' | 'size' | 'snapshot'>;
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
 * The cursor policy of a PoD service: the last delivered event time (moved under
 * {@link mayMoveCursor}), and the catch-up floor (`catchUpFrom`): an event older than the floor
 * is admitted only once a lower floor is persisted, so that a crash at any moment, before any
 * delivery was confirmed too, catches up from early enough; the floor rises only with a commit,
 * to the oldest hour still in flight (or the last delivered event's).
 */
class PodCursor implements CursorPolicy<PodState> {
  private lastEventTime: number | undefined;
  private catchUpFrom: number | undefined;
  /** Events admitted and not yet delivered, per hour of their time. */
  private readonly inFlight = new Map<number, number>();

  constructor(private readonly deps: Pick<PodCommitsDeps, 'service' | 'now' | 'lastEventTime' | 'catchUpFrom'>) {
    this.lastEventTime = deps.lastEventTime;
    this.catchUpFrom = deps.catchUpFrom;
  }

  /** An event of `time` is about to go to Devo: true when it lowers the floor (which must be written before it goes). */
  admit(time: number): boolean {
    const hour = hourOf(time);
    this.inFlight.set(hour, (this.inFlight.get(hour) ?? 0) + 1);
    if (this.catchUpFrom !== undefined && hour >= this.catchUpFrom) return false;
    this.catchUpFrom = hour;
    return true;
  }

  delivered(time: number, current: boolean): void {
    const hour = hourOf(time);
    const left = (this.inFlight.get(hour) ?? 1) - 1;
    if (left > 0) this.inFlight.set(hour, left);
    else this.inFlight.delete(hour);
    if (current) this.moveTo(time);
  }

  skip(time: number): void {
    if (mayMoveCursor(time, this.deps.now())) this.moveTo(time);
  }

  state(reason: CommitReason): PodState {
    this.raiseFloor();
    return podCursor(this.deps.service, this.deps.now(), this.lastEventTime, this.catchUpFrom, reason);
  }

  private moveTo(time: number): void {
    if (this.lastEventTime === undefined || time > this.lastEventTime) this.lastEventTime = time;
  }

  /** What was delivered lets the floor rise: to the oldest hour still in flight, at most the last delivered event's. */
  private raiseFloor(): void {
    if (this.lastEventTime === undefined) return;
    let floor = hourOf(this.lastEventTime);
    for (const hour of this.inFlight.keys()) if (hour < floor) floor = hour;
    if (this.catchUpFrom === undefined || floor > this.catchUpFrom) this.catchUpFrom = floor;
  }
}

/**
 * The commit step of a PoD pipeline: the shared {@link CommitStep} with the PoD cursor policy.
 * {@link admit} before an event goes to Devo, `apply` and `persist` of `commitAcks` after.
 */
export class PodCommits {
  private readonly cursor: PodCursor;
  private readonly step: CommitStep<PodState>;

  constructor(deps: PodCommitsDeps) {
    this.cursor = new PodCursor(deps);
    this.step = new CommitStep({ store: deps.store, dedup: deps.dedup, telemetry: deps.telemetry, logger: deps.logger, now: deps.now, cursor: this.cursor });
  }

  /**
   * An event of `time` is about to go to Devo: `undefined` when it may go now, or the write of a
   * lower floor to wait for (it never rejects).
   */
  admit(time: number): Promise<void> | undefined {
    return this.cursor.admit(time) ? this.step.persist('commit') : undefined;
  }

  /** Folds one delivered batch in. */
  apply(ack: DeliveredBatch): void {
    this.step.apply(ack);
  }

  /**
   * An event of `time` that will not be delivered (dead-lettered for its size) moves the cursor
   * as a delivered one would, so that no catch-up asks for it again. The floor is not affected:
   * it follows what is still in flight.
   */
  skip(time: number): void {
    this.cursor.skip(time);
  }

  /** Persists what was folded in, as of `reason`. Never throws (failures are logged, and retried next time). */
  persist(reason: CommitReason): Promise<void> {
    return this.step.persist(reason);
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
