import { CASB_TIME_FIELD } from '../../lib/sources/casbRecord';
import { parseEventTime } from '../../lib/time/parseEventTime';
import { isoUtc, type CasbAlertsState } from './casbState';

/** The alerts window of one pull cycle: `[from, to]`, both inclusive, in UTC epoch ms. */
export interface AlertsWindow {
  readonly from: number;
  /** The cycle's start: the window never reaches past it. */
  readonly to: number;
  /** Ids the previous window delivered at exactly `from`: the vendor's inclusive window returns them again. */
  readonly sentAtStart: ReadonlySet<string>;
}

/** Where the window's cursor stands after the pages seen so far: the latest alert time and the ids at it. */
export interface AlertsProgress {
  readonly latest: number;
  readonly idsAtLatest: ReadonlySet<string>;
}

/** What one page of alerts gives. */
export interface AlertsPage {
  /** The page's records but those the previous window delivered (bad records are kept: the pipeline dead-letters them). */
  readonly records: readonly unknown[];
  /** Records skipped as delivered by the previous window. */
  readonly skipped: number;
  readonly progress: AlertsProgress;
}

/**
 * The window of the cycle that starts at `cycleStart`: from the persisted cursor to the cycle's
 * start. A cursor ahead of `cycleStart` (left by a version that let a future alert move it) is
 * pulled back to `cycleStart`, or every later window would be empty and nothing pulled again.
 */
export function alertsWindow(state: CasbAlertsState, cycleStart: number): AlertsWindow {
  const persisted = Date.parse(state.last_event_time_in_utc);
  const from = Math.min(persisted, cycleStart);
  return { from, to: cycleStart, sentAtStart: new Set(from === persisted ? state.last_ids : []) };
}

/** The progress before the first page: the window's start, with the ids delivered at it. */
export function alertsStart(window: AlertsWindow): AlertsProgress {
  return { latest: window.from, idsAtLatest: window.sentAtStart };
}

/**
 * Folds one page into the window's progress. An alert's time counts for the cursor only up to
 * the window's end: an alert stamped in the future (a wrong clock, a hostile server) would
 * otherwise move the cursor past every later window and stop the pulls for good.
 */
export function alertsPage(window: AlertsWindow, progress: AlertsProgress, alerts: readonly unknown[]): AlertsPage {
  let { latest } = progress;
  let ids = new Set(progress.idsAtLatest);
  let skipped = 0;
  const records: unknown[] = [];
  for (const alert of alerts) {
    const fields = typeof alert === 'object' && alert !== null ? (alert as Record<string, unknown>) : {};
    const id = fields['id'];
    const time = parseEventTime(fields[CASB_TIME_FIELD]);
    if (typeof time === 'number' && (typeof id === 'string' || typeof id === 'number')) {
      if (time === window.from && window.sentAtStart.has(String(id))) {
        skipped++;
        continue;
      }
      const at = Math.min(time, window.to);
      if (at > latest) {
        latest = at;
        ids = new Set([String(id)]);
      } else if (at === latest) ids.add(String(id));
    }
    records.push(alert);
  }
  return { records, skipped, progress: { latest, idsAtLatest: ids } };
}

/** The state once the whole window is delivered. */
export function alertsNextState(state: CasbAlertsState, progress: AlertsProgress): CasbAlertsState {
  return { initial_start_time_in_utc: state.initial_start_time_in_utc, last_event_time_in_utc: isoUtc(progress.latest), last_ids: [...progress.idsAtLatest] };
}
