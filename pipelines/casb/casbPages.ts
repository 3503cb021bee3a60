import { errorMessage } from '../../lib/errors/collectorError';
import { Deferred } from '../../lib/flow/deferred';
import type { Logger } from '../../lib/log/logger';
import { CASB_ALERTS_PAGE_SIZE, casbHttpStatus, type CasbClient } from '../../lib/sources/casbClient';
import { alertsNextState, alertsPage, alertsStart, alertsWindow } from './casbAlertsWindow';
import { eventsNextState, eventsStartTime } from './casbEventsCursor';
import type { CasbPage, PullCycle } from './casbPullCycles';
import { isoUtc, type CasbAlertsState, type CasbEventsState } from './casbState';

/** What the page generators call and log with. */
export interface CasbPagesDeps {
  readonly client: CasbClient;
  readonly logger: Logger;
  /** Safety bound on the pages of one cycle (the next cycle goes on). */
  readonly maxPagesPerCycle: number;
}

/**
 * `/v1/alerts` for the window `[last_event_time_in_utc, pull start]` (see {@link alertsWindow}),
 * page after page (newest first) until a short page. Alerts at the window's start whose id is in
 * `last_ids` were sent by the previous window and are skipped. The window's last page carries
 * the next state: the latest alert time seen (never past the window's end) and the ids at it.
 */
export async function* alertPages(deps: CasbPagesDeps, cycle: PullCycle, state: CasbAlertsState): AsyncGenerator<CasbPage> {
  const window = alertsWindow(state, cycle.pullingId);
  let progress = alertsStart(window);
  let total = 0;
  deps.logger.info(`Retrieving/sending alerts event(s) having timestamp between ${isoUtc(window.from)} and ${isoUtc(window.to)}`);
  for (let page = 0; page < deps.maxPagesPerCycle; page++) {
    const alerts = await deps.client.alerts(page, window.from, window.to, cycle.signal);
    cycle.counters.requests++;
    cycle.counters.received += alerts.length;
    total += alerts.length;
    const folded = alertsPage(window, progress, alerts);
    cycle.counters.duplicates += folded.skipped;
    progress = folded.progress;
    const last = alerts.length < CASB_ALERTS_PAGE_SIZE;
    yield { pullingId: cycle.pullingId, records: folded.records, nextState: last ? alertsNextState(state, progress) : undefined, written: new Deferred() };
    if (last) break;
  }
  deps.logger.info(`Retrieved ${total} alerts event(s) from ${isoUtc(window.from)} to ${isoUtc(window.to)}`);
}

/**
 * `/v2/events` from the stored page token (or from `start_time_in_utc`), following the next page
 * token page after page until an empty page (caught up); every page carries the next state (its
 * token), so a restart resumes at the right page. A refused token (400) is dropped and the pull
 * resumes from the latest delivered event time (the de-dup window absorbs the overlap). A token
 * answered again within the cycle (the paging does not advance) stops the cycle there
 * (`CASB_PAGE_TOKEN_REPEATED`, counted), rather than paging the same events until the cycle bound.
 */
export async function* eventPages(deps: CasbPagesDeps, cycle: PullCycle, start: CasbEventsState): AsyncGenerator<CasbPage> {
  let state = start;
  // The tokens this cycle asked with: one answered again would page the same events forever.
  const asked = new Set<string>();
  for (let page = 0; page < deps.maxPagesPerCycle; page++) {
    const startTime = eventsStartTime(state, cycle.pullingId);
    deps.logger.info(`Retrieving events event(s) having start_time=${isoUtc(startTime)} and last_page_token=${state.last_page_token ?? 'None'}`);
    let result;
    try {
      result = await deps.client.events(startTime, state.last_page_token ?? undefined, cycle.signal);
    } catch (err) {
      if (casbHttpStatus(err) !== 400 || state.last_page_token === null) throw err;
      deps.logger.warn(`The stored page token was refused (${errorMessage(err)}); resuming from start_time_in_utc=${state.start_time_in_utc}`);
      state = { ...state, last_page_token: null };
      continue;
    }
    cycle.counters.requests++;
    cycle.counters.received += result.events.length;
    if (state.last_page_token !== null) asked.add(state.last_page_token);
    state = eventsNextState(state, result.events, result.nextPageToken, cycle.pullingId);
    yield { pullingId: cycle.pullingId, records: result.events, nextState: state, written: new Deferred() };
    if (result.events.length === 0) {
      deps.logger.info('No more new events events found');
      break;
    }
    if (result.nextPageToken !== undefined && asked.has(result.nextPageToken)) {
      cycle.counters.pageTokenRepeats++;
      deps.logger.problem(
        'CASB_PAGE_TOKEN_REPEATED',
        `/v2/events answered nextPageToken ${JSON.stringify(result.nextPageToken)} again within this pull cycle (after ${page + 1} page(s)): the paging does not advance, so this cycle stops here and the next one resumes from that token`,
      );
      break;
    }
  }
}
