import type { Logger } from '../lib/log/logger';
import { RepeatedErrorLog } from '../lib/log/repeatedErrorLog';
import type { CommitReason } from '../lib/operators/commitAcks';
import type { DedupWindow } from '../lib/operators/dedupWindow';
import { PendingKeys } from '../lib/state/pendingKeys';
import type { ServiceStore } from '../lib/state/serviceStore';
import type { ServiceTelemetry } from '../lib/telemetry/serviceTelemetry';
import type { Timed } from '../lib/operators/timed';

/**
 * The future-time rule of every cursor: an event time may move a cursor (and the delivered-event
 * time of the telemetry) only when it is not after the clock. An event stamped in the future (a
 * wrong MTA clock, a hostile server) is delivered, but does not move the cursor, or the next
 * catch-up would start after events it must cover: that loses them. A cursor kept too early only
 * costs replays, which the de-dup window drops. Of the two rules the pipelines had (`now` and
 * `now + CURSOR_MAX_SKEW_MS`), this is the one that cannot lose an event.
 */
export function mayMoveCursor(time: number, now: number): boolean {
  return time <= now;
}

/** Delivered records, as the sink acknowledges them: their event times and de-dup keys. */
export interface DeliveredBatch {
  readonly records: ReadonlyArray<Timed<string>>;
  readonly bytes: number;
}

/**
 * What a product persists, given what was delivered: the one part of the commit step that
 * differs between products (PoD: the last delivered event time and the catch-up floor; CASB: the
 * state the delivered page leads to).
 */
export interface CursorPolicy<S> {
  /** One delivered record of event `time`; `current`: {@link mayMoveCursor} allows it to move the cursor. */
  delivered(time: number, current: boolean): void;
  /** The state to persist as of `reason`; `undefined` leaves the persisted one. */
  state(reason: CommitReason): S | undefined;
}

/** What {@link CommitStep} works with. */
export interface CommitStepDeps<S> {
  /** The only writer of the cursor. */
  readonly store: ServiceStore<S>;
  readonly dedup: Pick<DedupWindow<unknown>, 'confirm' | 'restore' | 'size' | 'snapshot'>;
  /** Counts what is sent and when the state was written. */
  readonly telemetry: ServiceTelemetry;
  readonly logger: Logger;
  readonly now: () => number;
  readonly cursor: CursorPolicy<S>;
}

/**
 * The commit step of every service: {@link apply} folds each delivered batch in (counts it, moves
 * the delivered-event time under {@link mayMoveCursor}, confirms its keys in the de-dup window
 * once each, hands each record to the cursor policy), {@link persist} hands the keys delivered
 * since the last commit and the policy's state to the store. Cursors move only after delivery.
 */
export class CommitStep<S> {
  private readonly pending = new PendingKeys();
  private readonly errors: RepeatedErrorLog;

  constructor(private readonly deps: CommitStepDeps<S>) {
    this.errors = new RepeatedErrorLog(deps.logger);
  }

  /** Folds one delivered batch in. */
  apply(batch: DeliveredBatch): void {
    const { telemetry, cursor, dedup } = this.deps;
    telemetry.counters.sent += batch.records.length;
    telemetry.counters.bytesSent += batch.bytes;
    const now = this.deps.now();
    for (const record of batch.records) {
      const current = mayMoveCursor(record.time, now);
      if (current) telemetry.delivered(record.time);
      cursor.delivered(record.time, current);
      // undefined for a key confirmed already (a CASB record flattened into several lines is acknowledged once per line).
      const entry = dedup.confirm(record.value);
      if (entry !== undefined) this.pending.add(entry);
    }
  }

  /**
   * Persists what was folded in, as of `reason` (`complete` and `error` are a stop's last commit,
   * tried at once whatever the store's backoff). Never throws: failures are logged once per
   * kind, and retried by the next commit.
   */
  async persist(reason: CommitReason): Promise<void> {
    const { store, dedup, cursor } = this.deps;
    const state = cursor.state(reason);
    const outcome = await store.commit(this.pending.take(), dedup, state, reason !== 'commit');
    if (outcome.deferred === true) return;
    this.deps.telemetry.committed(outcome.error === undefined);
    if (outcome.error !== undefined) this.errors.report(outcome.error);
  }
}
