/** Figures of one statistics period (see {@link PullStats.take}). */
export interface PullStatsSnapshot {
  /** Requests made (REST) or connections opened (websocket). */
  readonly requests: number;
  readonly received: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  readonly sent: number;
  /** De-dup keys forgotten before the hour (the window is too small for the rate). */
  readonly forgottenEarly: number;
  readonly seconds: number;
}

/**
 * The counters the Devo collectors log per pull cycle: requests, events received, duplicates
 * filtered out, events dead-lettered, events generated and sent. {@link take} returns the
 * figures since the previous call and resets them, so counters never grow without bound.
 */
export class PullStats {
  requests = 0;
  received = 0;
  duplicates = 0;
  deadLettered = 0;
  sent = 0;
  forgottenEarly = 0;
  private since: number;

  constructor(private readonly now: () => number = Date.now) {
    this.since = now();
  }

  /** The figures since the previous `take` (or creation), without a reset (for partial lines). */
  peek(): PullStatsSnapshot {
    return {
      requests: this.requests,
      received: this.received,
      duplicates: this.duplicates,
      deadLettered: this.deadLettered,
      sent: this.sent,
      forgottenEarly: this.forgottenEarly,
      seconds: Math.max(0, (this.now() - this.since) / 1000),
    };
  }

  /** The figures since the previous `take` (or creation), and a reset. */
  take(): PullStatsSnapshot {
    const snapshot = this.peek();
    this.requests = this.received = this.duplicates = this.deadLettered = this.sent = this.forgottenEarly = 0;
    this.since = this.now();
    return snapshot;
  }
}

/**
 * The seeds' statistics line, e.g. `Statistics for this pull cycle (@devo_pulling_id=1673878580026):Number of requests made: 1; Number of events received: 0; Number of duplicated events filtered out: 0; Number of events generated and sent: 0; Average of events per second: 0.000.`
 * The number of dead-lettered events, and of de-dup keys forgotten before the hour, are added
 * when there are any.
 */
export function formatPullStats(s: PullStatsSnapshot, heading: string): string {
  const rate = s.seconds > 0 ? s.sent / s.seconds : 0;
  const dead =
    (s.deadLettered > 0 ? ` Number of events dead-lettered: ${s.deadLettered};` : '') +
    (s.forgottenEarly > 0 ? ` Number of de-dup keys forgotten before the hour: ${s.forgottenEarly};` : '');
  return (
    `${heading}:Number of requests made: ${s.requests}; Number of events received: ${s.received}; ` +
    `Number of duplicated events filtered out: ${s.duplicates};${dead} Number of events generated and sent: ${s.sent}; ` +
    `Average of events per second: ${rate.toFixed(3)}.`
  );
}
