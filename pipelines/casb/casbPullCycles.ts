import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';
import { reportError } from '../../lib/log/reportError';
import type { Deferred } from '../../lib/flow/deferred';
import type { Logger } from '../../lib/log/logger';
import { formatPullStats, PullStats } from '../../lib/stats/pullStats';
import type { ServiceTelemetry } from '../../lib/telemetry/serviceTelemetry';
import type { CasbState } from './casbState';

/** One pull cycle: its `@devo_pulling_id` (its start, epoch ms), the service's counters and its cancellation. */
export interface PullCycle {
  readonly pullingId: number;
  /** The service's counters; the cycle's figures are their growth since the cycle started. */
  readonly counters: ServiceTelemetry['counters'];
  readonly signal: AbortSignal;
}

/** One page ready for the pipeline, and the state to persist once its records are delivered. */
export interface CasbPage {
  readonly pullingId: number;
  readonly records: readonly unknown[];
  /** The state once this page is delivered (alerts: only the window's last page has one). */
  readonly nextState: CasbState | undefined;
  /**
   * The page's flow control: the pipeline resolves it once the page's records are written to
   * the Devo connection, and only then is the next page fetched.
   */
  readonly written: Deferred;
}

/** Options of {@link pullCycles}. */
export interface PullCyclesOptions {
  /** Where the first cycle starts. */
  readonly start: CasbState;
  /** The pages of one cycle, from `position` (the alerts window or the events token). */
  readonly pages: (cycle: PullCycle, position: CasbState) => AsyncIterable<CasbPage>;
  /** `request_period_in_seconds`: from one cycle's start to the next. */
  readonly periodMs: number;
  readonly logger: Logger;
  readonly now: () => number;
  /** The service's telemetry: its counters, and the time spent waiting for pages to be written. */
  readonly telemetry: ServiceTelemetry;
  /** Stops after the page in progress; the stream then completes. */
  readonly stop$: Observable<void>;
  readonly scheduler?: SchedulerLike;
}

/**
 * The CASB pull cycles as a cold stream of pages, with Devo's log lines (`Pull Started`,
 * `(Partial) Statistics for this pull cycle …`, `The data is up to date!`, `Data collection
 * completed …`). Each cycle starts `periodMs` after the previous start and runs `pages` from
 * where the previous one left off (the latest `nextState` emitted: the source moves on as soon as
 * a page is out, the store persists it once delivered). The next page is fetched only once the
 * previous one is written (`page.written`): backpressure reaches the REST paging. A failed cycle
 * is logged, and the next one tries again. Completes after `stop$` (the page in progress
 * finishes); unsubscribing cancels the requests in flight.
 */
export function pullCycles(options: PullCyclesOptions): Observable<CasbPage> {
  const { logger, now } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  return new Observable<CasbPage>((subscriber) => {
    const abort = new AbortController();
    let stopping = false;
    let wake: () => void = () => undefined;
    let current: CasbPage | undefined;
    let position = options.start;
    const stopSubscription = options.stop$.subscribe(() => {
      stopping = true;
      abort.abort();
      wake();
    });
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = scheduler.schedule(() => resolve(), ms);
        wake = () => {
          timer.unsubscribe();
          resolve();
        };
      });
    const over = () => stopping || subscriber.closed;

    const loop = async (): Promise<void> => {
      while (!over()) {
        const started = now();
        const cycle: PullCycle = { pullingId: started, counters: options.telemetry.counters, signal: abort.signal };
        const stats = new PullStats(cycle.counters, now);
        const heading = `Statistics for this pull cycle (@devo_pulling_id=${cycle.pullingId})`;
        logger.info('Pull Started');
        try {
          for await (const page of options.pages(cycle, position)) {
            current = page;
            position = page.nextState ?? position;
            subscriber.next(page);
            // Waiting for the page to be written is the backpressure of a paged source.
            options.telemetry.paused(true);
            try {
              await page.written.promise;
            } finally {
              options.telemetry.paused(false);
            }
            logger.info(formatPullStats(stats.peek(), `(Partial) ${heading}`));
            if (over()) break;
          }
          logger.info(formatPullStats(stats.peek(), heading));
          if (!stopping) logger.info('The data is up to date!');
        } catch (err) {
          if (over()) break;
          reportError(logger, err, '. The next pull cycle tries again');
          logger.info(formatPullStats(stats.peek(), heading));
        }
        if (over()) break;
        const elapsed = now() - started;
        const wait = Math.max(0, options.periodMs - elapsed);
        logger.info(
          `Data collection completed. Elapsed time: ${(elapsed / 1000).toFixed(3)} seconds. Waiting for ${(wait / 1000).toFixed(3)} second(s) until the next one`,
        );
        await sleep(wait);
      }
    };
    loop().then(
      () => subscriber.complete(),
      (err: unknown) => subscriber.error(err),
    );
    return () => {
      stopping = true;
      stopSubscription.unsubscribe();
      abort.abort();
      current?.written.reject(new Error('the pipeline stopped'));
      wake();
    };
  });
}
