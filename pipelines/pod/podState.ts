import * as t from 'io-ts';
import type { StateMigration } from '../../lib/state/stateFile';

/**
 * What a PoD service persists (besides its de-dup journal), version 3:
 * - `lastEventTime`: the latest event time delivered to Devo (UTC ms);
 * - `catchUpFrom`: the catch-up floor (UTC ms, a whole hour): no event earlier than it can have
 *   been received and not delivered. Written before an earlier event goes to Devo, raised only by
 *   a commit; a catch-up after an unclean stop starts there (null: nothing was ever received);
 * - `cleanStop` / `stoppedAt`: whether the last run ended with a flush, and when (while a run has
 *   delivered nothing yet, `stoppedAt` holds the time it started, marked unclean);
 * - `configuredStartTime`: the config's `start_time` when the state was written (null: none), to
 *   detect a new or changed one. Absent in states migrated from version 1, which did not record it.
 */
export const PodState = t.intersection([
  t.type({
    lastEventTime: t.union([t.number, t.null]),
    catchUpFrom: t.union([t.number, t.null]),
    cleanStop: t.boolean,
    stoppedAt: t.union([t.number, t.null]),
  }),
  t.partial({ configuredStartTime: t.union([t.number, t.null]) }),
]);
export type PodState = t.TypeOf<typeof PodState>;

/** Current version of {@link PodState}. */
export const POD_STATE_VERSION = 3;

const HOUR = 3_600_000;

/** `time` rounded down to its hour, UTC. */
export function hourOf(time: number): number {
  return Math.floor(time / HOUR) * HOUR;
}

/**
 * Version 1 (`{ last_event_time: ISO | null, clean_stop, stopped_at: ISO | null }`) to 2: times
 * become epoch ms; the start time was not recorded, so the configured one is adopted without a
 * catch-up (as Devo's v1 → v2 migration does). Version 2 to 3: the catch-up floor is where
 * version 2 would have caught up from: the hour of the last delivered event, else, for an unclean
 * run that delivered nothing, the hour it started.
 */
export const POD_STATE_MIGRATIONS: Readonly<Record<number, StateMigration>> = {
  1: (old) => {
    const v1 = old as { last_event_time?: unknown; clean_stop?: unknown; stopped_at?: unknown };
    const time = (v: unknown): number | null => {
      if (typeof v !== 'string') return null;
      const ms = Date.parse(v);
      if (Number.isNaN(ms)) throw new Error(`not a time: ${JSON.stringify(v)}`);
      return ms;
    };
    return { lastEventTime: time(v1.last_event_time), cleanStop: v1.clean_stop === true, stoppedAt: time(v1.stopped_at) };
  },
  2: (old) => {
    const v2 = old as { lastEventTime?: unknown; cleanStop?: unknown; stoppedAt?: unknown };
    const last = typeof v2.lastEventTime === 'number' ? v2.lastEventTime : undefined;
    const started = v2.cleanStop !== true && typeof v2.stoppedAt === 'number' ? v2.stoppedAt : undefined;
    const floor = last ?? started;
    return { ...v2, catchUpFrom: floor === undefined ? null : hourOf(floor) };
  },
};
