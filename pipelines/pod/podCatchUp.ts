import type { PodState } from './podState';

/** What {@link decidePodCatchUp} looks at before a connection. */
export interface PodCatchUpInput {
  /** UTC epoch ms now. */
  readonly now: number;
  /** The state found at start (undefined: first run, or unusable state). */
  readonly persisted: PodState | undefined;
  /** The config's `start_time` (UTC ms), if any. */
  readonly configuredStartTime: number | undefined;
  /** The latest event time delivered so far (persisted or in this process). */
  readonly lastEventTime: number | undefined;
  /** When the previous session of this process ended (undefined: no session yet). */
  readonly lastSessionEnd: number | undefined;
}

/** The decision: the `sinceTime` to send (none: the server resumes or streams live) and why. */
export interface PodCatchUp {
  readonly sinceTime: number | undefined;
  readonly reason: string;
}

const HOUR = 3_600_000;
const MAX_BACK = 30 * 24 * HOUR;

/**
 * How far a persisted time may be ahead of the clock it is read by: the commit step lets no
 * cursor run ahead of its clock (`mayMoveCursor` in `commitStep.ts`), but older
 * versions let an event up to this far ahead move it, and a stop stamp this far ahead is skew, not
 * a corrected clock.
 */
export const CURSOR_MAX_SKEW_MS = 5 * 60_000;

/**
 * `time` rounded down to the hour, UTC: never later than the current hour (a whole hour in the
 * past, whatever the cursor says) and no earlier than the API's 30 days back.
 */
export function catchUpTime(time: number, now: number): number {
  const earliest = Math.ceil((now - MAX_BACK) / HOUR) * HOUR;
  return Math.max(Math.min(Math.floor(time / HOUR) * HOUR, Math.floor(now / HOUR) * HOUR), earliest);
}

function minutes(ms: number): string {
  return `${Math.round(ms / 60_000)} min`;
}

/**
 * The sinceTime policy. `sinceTime` switches the PoD socket to archive mode (late batches, with
 * duplicates), so it is sent only to cover a gap the server will not: the server resumes a
 * session restored within an hour by itself, and after more than an hour sends the last hour
 * only.
 * - Within one process, and after a clean stop less than an hour ago: no sinceTime.
 * - After an unclean stop: the catch-up floor (`catchUpFrom`: the hour of the earliest event that
 *   may not have been delivered), clamped to 30 days back; the same after a clean stop stamped in
 *   the future (the clock was corrected since).
 * - After a gap of more than an hour: the last delivered event time rounded down to the hour
 *   (UTC), clamped the same way.
 * - On a first run with `start_time`, or when `start_time` is new or changed: from it, rounded
 *   and clamped the same way.
 */
export function decidePodCatchUp(input: PodCatchUpInput): PodCatchUp {
  const { now, persisted, configuredStartTime, lastSessionEnd } = input;
  // A persisted cursor cannot be later than when it was written (older versions let a future
  // event time through): at most the recorded stop time, else now, plus the allowed skew.
  const lastEventTime =
    input.lastEventTime === undefined
      ? undefined
      : Math.min(input.lastEventTime, (lastSessionEnd === undefined ? (persisted?.stoppedAt ?? now) : now) + CURSOR_MAX_SKEW_MS);
  const fromStart = (why: string): PodCatchUp =>
    configuredStartTime === undefined
      ? { sinceTime: undefined, reason: `${why}; no start_time: streaming live` }
      : { sinceTime: catchUpTime(configuredStartTime, now), reason: `${why}: catching up from start_time` };
  const fromLast = (why: string): PodCatchUp =>
    lastEventTime === undefined
      ? fromStart(`${why}, and no event was ever delivered`)
      : {
          sinceTime: catchUpTime(lastEventTime, now),
          reason: `${why}: catching up from the hour of the last delivered event (${new Date(lastEventTime).toISOString()})`,
        };

  if (lastSessionEnd !== undefined) {
    const gap = now - lastSessionEnd;
    return gap > HOUR
      ? fromLast(`no session for ${minutes(gap)} (over an hour)`)
      : { sinceTime: undefined, reason: 'reconnecting within the hour: the server resumes' };
  }
  if (persisted === undefined) return fromStart('first run (no state)');
  const recorded = persisted.configuredStartTime;
  if (configuredStartTime !== undefined && recorded !== undefined && recorded !== configuredStartTime) {
    return fromStart(recorded === null ? 'start_time is new in the config' : 'start_time changed in the config');
  }
  // The catch-up floor: no event before it was received and left undelivered (persisted before
  // any such event went to Devo; older states: the last delivered event's hour).
  const fromFloor = (why: string): PodCatchUp =>
    persisted.catchUpFrom === null
      ? fromLast(why)
      : {
          sinceTime: catchUpTime(persisted.catchUpFrom, now),
          reason: `${why}: catching up from ${new Date(catchUpTime(persisted.catchUpFrom, now)).toISOString()}, the hour of the earliest event it may not have delivered`,
        };
  if (!persisted.cleanStop) return fromFloor('the previous run did not stop cleanly');
  const stoppedAt = persisted.stoppedAt ?? 0;
  // A clean stop stamped ahead of the clock (a clock corrected since) says nothing of the gap.
  if (stoppedAt > now + CURSOR_MAX_SKEW_MS)
    return fromFloor(`the last stop is stamped in the future (${new Date(stoppedAt).toISOString()}: was the clock corrected?)`);
  if (now - stoppedAt > HOUR) return fromLast(`stopped ${minutes(now - stoppedAt)} ago (over an hour)`);
  return { sinceTime: undefined, reason: `clean stop ${minutes(now - stoppedAt)} ago: the server resumes` };
}

/**
 * The catch-up floor a run starts with (see `PodState.catchUpFrom`), persisted before it
 * connects: where its first session catches up from, if it does; else the floor persisted before
 * (a clean stop's); else, knowing nothing, an hour back, the furthest a session restored without
 * `sinceTime` resumes from (the server may still send a dropped session's events of up to an hour
 * ago, and a crash before any of them was delivered must catch up that far).
 */
export function initialCatchUpFloor(first: PodCatchUp, persisted: PodState | undefined, now: number): number {
  return first.sinceTime ?? persisted?.catchUpFrom ?? catchUpTime(now - HOUR, now);
}
