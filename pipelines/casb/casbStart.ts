import { isoUtc, type CasbState } from './casbState';

/** What {@link decideCasbStart} decided. */
export interface CasbStart {
  /** The state the service starts from. */
  readonly state: CasbState;
  /**
   * `resume` the persisted state; `empty`: there was none (first run, or an unusable file);
   * `changed`: the configured `initial_start_time_in_utc` differs from the persisted one. Both
   * of the latter are resets: the de-dup window is emptied and the new state written at once.
   */
  readonly kind: 'resume' | 'empty' | 'changed';
}

/**
 * Where a CASB service starts, as Devo's collector decides it: from the persisted state, unless
 * there is none (then from `initial_start_time_in_utc`, or an hour before `now` without it), or
 * the configured `initial_start_time_in_utc` changed (then from it: the data is re-ingested).
 *
 * @param service the service's name and configured initial start time (UTC ms)
 * @param persisted the state found at start
 * @param now UTC epoch ms
 */
export function decideCasbStart(
  service: { readonly name: 'alerts' | 'events'; readonly initialStartTime?: number },
  persisted: CasbState | undefined,
  now: number,
): CasbStart {
  const configured = service.initialStartTime === undefined ? undefined : isoUtc(service.initialStartTime);
  const fresh = (initial: string): CasbState =>
    service.name === 'alerts'
      ? { initial_start_time_in_utc: initial, last_event_time_in_utc: initial, last_ids: [] }
      : { initial_start_time_in_utc: initial, start_time_in_utc: initial, last_page_token: null };
  if (persisted === undefined) return { state: fresh(configured ?? isoUtc(Math.floor((now - 3_600_000) / 1000) * 1000)), kind: 'empty' };
  if (configured !== undefined && persisted.initial_start_time_in_utc !== configured) return { state: fresh(configured), kind: 'changed' };
  return { state: persisted, kind: 'resume' };
}
