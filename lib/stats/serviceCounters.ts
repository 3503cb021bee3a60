/** The figures of a service since it started (see {@link ServiceCounters}). */
export interface CountersSnapshot {
  /** Requests made (REST, retries included) or connections attempted (websocket, failed handshakes included). */
  readonly requests: number;
  readonly received: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  /** Events the relay confirmed reading. */
  readonly sent: number;
  /** Bytes of those events' lines. */
  readonly bytesSent: number;
  /** De-dup keys forgotten before the hour (the window is too small for the rate). */
  readonly forgottenEarly: number;
  /** CASB events pull cycles that stopped at a `nextPageToken` already seen in the cycle (`CASB_PAGE_TOKEN_REPEATED`). */
  readonly pageTokenRepeats: number;
}

/**
 * The cumulative counters of one service since the process started: plain fields, incremented
 * where things happen (the hot path pays an addition). Everything that reports them reads
 * them: the statistics lines (as differences over a period, {@link PullStats}), `/metrics`
 * and `/status`.
 */
export class ServiceCounters implements CountersSnapshot {
  requests = 0;
  received = 0;
  duplicates = 0;
  deadLettered = 0;
  sent = 0;
  bytesSent = 0;
  forgottenEarly = 0;
  pageTokenRepeats = 0;

  snapshot(): CountersSnapshot {
    return {
      requests: this.requests,
      received: this.received,
      duplicates: this.duplicates,
      deadLettered: this.deadLettered,
      sent: this.sent,
      bytesSent: this.bytesSent,
      forgottenEarly: this.forgottenEarly,
      pageTokenRepeats: this.pageTokenRepeats,
    };
  }
}
