import * as t from 'io-ts';
import type { StateMigration } from '../lib/state/stateFile';

/**
 * What a PoD service persists (besides its de-dup journal), version 2:
 * - `lastEventTime`: the latest event time delivered to Devo (UTC ms), the catch-up cursor;
 * - `cleanStop` / `stoppedAt`: whether the last run ended with a flush, and when (while a run has
 *   delivered nothing yet, `stoppedAt` holds the time it started, marked unclean);
 * - `configuredStartTime`: the config's `start_time` when the state was written (null: none), to
 *   detect a new or changed one. Absent in states migrated from version 1, which did not record it.
 */
export const PodState = t.intersection([
  t.type({
    lastEventTime: t.union([t.number, t.null]),
    cleanStop: t.boolean,
    stoppedAt: t.union([t.number, t.null]),
  }),
  t.partial({ configuredStartTime: t.union([t.number, t.null]) }),
]);
export type PodState = t.TypeOf<typeof PodState>;

/** Current version of {@link PodState}. */
export const POD_STATE_VERSION = 2;

/**
 * Version 1 (`{ last_event_time: ISO | null, clean_stop, stopped_at: ISO | null }`) to 2: times
 * become epoch ms; the start time was not recorded, so the configured one is adopted without a
 * catch-up (as Devo's v1 → v2 migration does).
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
};
