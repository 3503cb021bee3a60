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
import type { PodState } from './podState';

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
}

/**
 * The commit step of a PoD pipeline (the `apply` and `persist` of `commitAcks`): it folds each
 * delivery into the keys delivered since the last commit and the event time the cursor moves to,
 * and hands them to the store, which keeps the cursor; what the store could not persist waits
 * for the next commit.
 */
export class PodCommits {
  private readonly pending = new PendingKeys();
  private lastEventTime: number | undefined;
  private readonly errors: RepeatedErrorLog;

  constructor(private readonly deps: PodCommitsDeps) {
    this.lastEventTime = deps.lastEventTime;
    this.errors = new RepeatedErrorLog(deps.logger);
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
      if (time <= latestAllowed) {
        if (this.lastEventTime === undefined || time > this.lastEventTime) this.lastEventTime = time;
        telemetry.delivered(time);
      }
      const entry = this.deps.dedup.confirm(record.value);
      if (entry !== undefined) this.pending.add(entry);
    }
  }

  /** Persists what was folded in, as of `reason`. Never throws (failures are logged, and retried next time). */
  async persist(reason: CommitReason): Promise<void> {
    const { store, dedup, service, now } = this.deps;
    const outcome = await store.commit(this.pending.take(), dedup, podCursor(service, now(), this.lastEventTime, reason));
    this.pending.putBack(outcome.unpersisted);
    this.deps.telemetry.committed(outcome.error === undefined);
    if (outcome.error !== undefined) this.errors.report(outcome.error);
  }
}

/** The PoD state to persist at `now`, as of `reason` (see {@link CommitReason}). */
export function podCursor(service: Pick<PodServiceConfig, 'startTime'>, now: number, lastEventTime: number | undefined, reason: CommitReason): PodState {
  return {
    lastEventTime: lastEventTime ?? null,
    cleanStop: reason === 'complete',
    stoppedAt: reason === 'commit' ? null : now,
    configuredStartTime: service.startTime ?? null,
  };
}
