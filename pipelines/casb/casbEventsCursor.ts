import { CASB_TIME_FIELD } from '../../lib/sources/casbRecord';
import { parseEventTime } from '../../lib/time/parseEventTime';
import { isoUtc, type CasbEventsState } from './casbState';

/**
 * Where the events request of a cycle that started at `cycleStart` begins, when no page token is
 * known: the persisted `start_time_in_utc`, but never after the cycle's start (a cursor left in
 * the future by an older version would ask for nothing, for good).
 */
export function eventsStartTime(state: CasbEventsState, cycleStart: number): number {
  return Math.min(Date.parse(state.start_time_in_utc), cycleStart);
}

/**
 * The state after a delivered page: the page's next token (or the current one when the page has
 * none), and `start_time_in_utc` moved to the latest event time seen up to the cycle's start: an
 * event stamped after it (a wrong clock, a hostile server) does not move this fallback cursor,
 * which would otherwise skip the events still to come.
 */
export function eventsNextState(state: CasbEventsState, events: readonly unknown[], nextPageToken: string | undefined, cycleStart: number): CasbEventsState {
  let latest = eventsStartTime(state, cycleStart);
  for (const event of events) {
    const time = typeof event === 'object' && event !== null ? parseEventTime((event as Record<string, unknown>)[CASB_TIME_FIELD]) : NaN;
    if (typeof time === 'number' && time > latest && time <= cycleStart) latest = time;
  }
  return {
    initial_start_time_in_utc: state.initial_start_time_in_utc,
    start_time_in_utc: isoUtc(latest),
    last_page_token: nextPageToken ?? state.last_page_token,
  };
}
