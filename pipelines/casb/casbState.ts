import * as t from 'io-ts';

/**
 * The alerts service's state, with the Devo collector's names: the window's start
 * (`last_event_time_in_utc`, inclusive) and the ids already delivered at that very timestamp
 * (`last_ids`), so that the next, inclusive window does not send them again.
 */
export const CasbAlertsState = t.type({
  initial_start_time_in_utc: t.string,
  last_event_time_in_utc: t.string,
  last_ids: t.array(t.string),
});
export type CasbAlertsState = t.TypeOf<typeof CasbAlertsState>;

/**
 * The events service's state, with the Devo collector's names: where the next page starts
 * (`last_page_token`, the `nextPageToken` of the last delivered page) and the time of the
 * latest delivered event (`start_time_in_utc`), used when no token is known or a token is refused.
 */
export const CasbEventsState = t.type({
  initial_start_time_in_utc: t.string,
  start_time_in_utc: t.string,
  last_page_token: t.union([t.string, t.null]),
});
export type CasbEventsState = t.TypeOf<typeof CasbEventsState>;

/** A CASB service's state: the alerts' or the events'. */
export type CasbState = CasbAlertsState | CasbEventsState;

/**
 * The codec of one service's state: each service reads and writes only its own shape (an
 * alerts file with an events state in it is unusable, as any undecodable state is).
 */
export function casbStateCodec(service: 'alerts' | 'events'): t.Type<CasbState, CasbState, unknown> {
  const own = service === 'alerts' ? CasbAlertsState : CasbEventsState;
  return new t.Type<CasbState, CasbState, unknown>(
    own.name,
    (u): u is CasbState => own.is(u),
    (u, context) => own.validate(u, context),
    (state) => state,
  );
}

/** State version of both CASB services (the Devo collector's `@persistence_version`). */
export const CASB_STATE_VERSION = 1;

/** ISO-8601 UTC without milliseconds when they are 0 (`2024-01-01T00:00:00Z`), as Devo writes it. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** A Python-like rendering of a state for log lines (`{'a': 'b', 'c': None}`), as the seeds show them. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `'${k}': ${pythonRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}
