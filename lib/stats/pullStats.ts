import { ServiceCounters, type CountersSnapshot } from './serviceCounters';

/** Figures of one statistics period (see {@link PullStats.take}). */
export interface PullStatsSnapshot extends CountersSnapshot {
  readonly seconds: number;
}

/**
 * One statistics period over a service's {@link ServiceCounters}: the figures the Devo collectors
 * log per pull cycle (requests, events received, duplicates filtered out, dead-lettered, events
 * generated and sent), as the differences since the period started. {@link take} returns them
 * and starts the next period.
 *
 * @example
 * const counters = new ServiceCounters();
 * const period = new PullStats(counters);
 * counters.received += 3;
 * period.take(); // { received: 3, …, seconds }
 */
export class PullStats {
  private base: CountersSnapshot;
  private since: number;

  constructor(
    readonly counters: ServiceCounters = new ServiceCounters(),
    private readonly now: () => number = Date.now,
  ) {
    this.base = counters.snapshot();
    this.since = now();
  }

  /** The figures of the period so far, without starting another (for partial lines). */
  peek(): PullStatsSnapshot {
    const c = this.counters;
    const b = this.base;
    return {
      requests: c.requests - b.requests,
      received: c.received - b.received,
      duplicates: c.duplicates - b.duplicates,
      deadLettered: c.deadLettered - b.deadLettered,
      sent: c.sent - b.sent,
      bytesSent: c.bytesSent - b.bytesSent,
      forgottenEarly: c.forgottenEarly - b.forgottenEarly,
      pageTokenRepeats: c.pageTokenRepeats - b.pageTokenRepeats,
      seconds: Math.max(0, (this.now() - this.since) / 1000),
    };
  }

  /** The figures of the period, and the start of the next one. */
  take(): PullStatsSnapshot {
    const snapshot = this.peek();
    this.base = this.counters.snapshot();
    this.since = this.now();
    return snapshot;
  }
}

/**
 * The seeds' statistics line, e.g. `Statistics for this pull cycle (@devo_pulling_id=1673878580026):Number of requests made: 1; Number of events received: 0; Number of duplicated events filtered out: 0; Number of events generated and sent: 0; Average of events per second: 0.000.`
 * The number of dead-lettered events, and of de-dup keys forgotten before the hour, are added
 * when there are any; `note`, when given, follows the line (it says what the figures count when
 * they do not describe the same events).
 */
export function formatPullStats(s: PullStatsSnapshot, heading: string, note?: string): string {
  const rate = s.seconds > 0 ? s.sent / s.seconds : 0;
  const dead =
    (s.deadLettered > 0 ? ` Number of events dead-lettered: ${s.deadLettered};` : '') +
    (s.forgottenEarly > 0 ? ` Number of de-dup keys forgotten before the hour: ${s.forgottenEarly};` : '');
  return (
    `${heading}:Number of requests made: ${s.requests}; Number of events received: ${s.received}; ` +
    `Number of duplicated events filtered out: ${s.duplicates};${dead} Number of events generated and sent: ${s.sent}; ` +
    `Average of events per second: ${rate.toFixed(3)}.${note === undefined ? '' : ` ${note}`}`
  );
}
