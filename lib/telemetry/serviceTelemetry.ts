import type { ErrorCode } from '../errors/problems';
import type { Logger, LogMessage } from '../log/logger';
import { SecretRedactor } from '../log/secretRedactor';
import { ServiceCounters } from '../stats/serviceCounters';

/** Where a service stands, as the runner supervises it. */
export type ServiceState = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped';

/** The last problem a service logged (a warning or an error), with its code when it had one. */
export interface LastError {
  readonly code: ErrorCode | undefined;
  readonly message: string;
  /** UTC epoch ms. */
  readonly at: number;
}

/** What a service holds in memory now, by stage. */
export interface Held {
  /** Events in the sort window. */
  readonly sortWindow: number;
  /** Events handed to the sink and not yet written to the socket. */
  readonly sink: number;
  /** Keys in the 1-hour de-dup window. */
  readonly dedupKeys: number;
  /** Estimated bytes of those keys (what `dedup_max_size_in_mb` bounds). */
  readonly dedupBytes: number;
}

/**
 * Everything one service reports about itself, read by the statistics lines, `/metrics` and
 * `/status`: its {@link ServiceCounters} (incremented on the hot path) and its state: whether
 * its source is connected, the requests or sessions by outcome, the time of the last delivered
 * event, the last state commit, time paused by backpressure, what it holds, the last problem it
 * logged. The pipeline writes it; nothing in it changes what the pipeline does.
 */
export class ServiceTelemetry {
  readonly counters = new ServiceCounters();
  state: ServiceState = 'starting';
  /** The source's session (PoD) is open, or its last request (CASB) succeeded. */
  connected = false;
  /** Sessions opened after an earlier one ended (PoD), or requests retried (CASB). */
  reconnects = 0;
  /** Event time (UTC ms) of the latest event the relay confirmed (the cursor's rule: never ahead of the clock). */
  lastDeliveredEventTime: number | undefined;
  /** When the state was last written (UTC ms). */
  lastCommitAt: number | undefined;
  commitFailures = 0;
  /** The last state write failed (`STATE_WRITE_FAILED`). */
  lastCommitFailed = false;
  lastError: LastError | undefined;
  private readonly outcomeCounts = new Map<string, number>();
  private readonly problems = new Map<ErrorCode, number>();
  private pausedTotalMs = 0;
  private pausedSince: number | undefined;
  private held: () => Held = () => ({ sortWindow: 0, sink: 0, dedupKeys: 0, dedupBytes: 0 });

  /**
   * @param input `proofpoint_on_demand` or `proofpoint_casb`
   * @param inputId the input's `id`
   * @param service `message`, `maillog`, `audit`, `alerts`, `events`
   */
  constructor(
    readonly input: string,
    readonly inputId: string,
    readonly service: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** `pod/message`, `casb/alerts`, …: the service's name in logs and the runner. */
  get name(): string {
    return `${this.input === 'proofpoint_casb' ? 'casb' : 'pod'}/${this.service}`;
  }

  /** Counts one session attempt or HTTP request by its outcome (`101`, `409`, `200`, `429`, `error`, …). */
  outcome(outcome: string): void {
    this.outcomeCounts.set(outcome, (this.outcomeCounts.get(outcome) ?? 0) + 1);
  }

  /** Session attempts or HTTP requests by outcome, since start. */
  get outcomes(): ReadonlyMap<string, number> {
    return this.outcomeCounts;
  }

  /** Sets an outcome's count (a copy of another thread's figures). */
  setOutcome(outcome: string, count: number): void {
    this.outcomeCounts.set(outcome, count);
  }

  /** Sets the count of a problem (a copy of another thread's figures). */
  setProblemCount(code: ErrorCode, count: number): void {
    this.problems.set(code, count);
  }

  /** Sets the seconds paused (a copy of another thread's figures). */
  setPausedSeconds(seconds: number): void {
    this.pausedTotalMs = seconds * 1000;
    this.pausedSince = undefined;
  }

  /** Delivery confirmed for an event of this time (UTC ms). */
  delivered(eventTime: number): void {
    if (this.lastDeliveredEventTime === undefined || eventTime > this.lastDeliveredEventTime) this.lastDeliveredEventTime = eventTime;
  }

  /** A state commit ended: written, or failed. */
  committed(ok: boolean): void {
    if (ok) this.lastCommitAt = this.now();
    else this.commitFailures++;
    this.lastCommitFailed = !ok;
  }

  /** The source paused (true) or resumed (false) for backpressure. */
  paused(paused: boolean): void {
    const now = this.now();
    if (paused && this.pausedSince === undefined) this.pausedSince = now;
    else if (!paused && this.pausedSince !== undefined) {
      this.pausedTotalMs += now - this.pausedSince;
      this.pausedSince = undefined;
    }
  }

  /** Seconds the source was paused by backpressure since start (the running pause included). */
  get pausedSeconds(): number {
    return (this.pausedTotalMs + (this.pausedSince === undefined ? 0 : this.now() - this.pausedSince)) / 1000;
  }

  /** Tells where to read what the pipeline holds (the pipeline calls it when it starts). */
  holding(held: () => Held): void {
    this.held = held;
  }

  /** What the pipeline holds now. */
  get holds(): Held {
    return this.held();
  }

  /** Problems reported through {@link logger} since start, by code (`/metrics`: `problems_total`). */
  get problemCounts(): ReadonlyMap<ErrorCode, number> {
    return this.problems;
  }

  /**
   * A logger that writes through `base` and records, as {@link lastError} (shown by `/status`,
   * redacted with `redactor`), each coded problem (`problem(code, …)`, also counted) and each
   * uncoded error line.
   */
  logger(base: Logger, redactor: SecretRedactor = new SecretRedactor()): Logger {
    const text = (message: LogMessage): string => (typeof message === 'function' ? message() : message);
    const record = (code: ErrorCode | undefined, message: string): void => {
      this.lastError = { code, message: redactor.redact(message), at: this.now() };
      if (code !== undefined) this.problems.set(code, (this.problems.get(code) ?? 0) + 1);
    };
    const wrap = (logger: Logger): Logger => ({
      debugEnabled: logger.debugEnabled,
      debug: (m) => logger.debug(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
      error: (m) => {
        const line = text(m);
        record(undefined, line);
        logger.error(line);
      },
      problem: (code, m) => {
        const line = text(m);
        record(code, line);
        logger.problem(code, line);
      },
      child: (scope) => wrap(logger.child(scope)),
    });
    return wrap(base);
  }
}
