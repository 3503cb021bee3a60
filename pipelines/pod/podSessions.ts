import type { PodSourceEvent } from '../../lib/sources/podSource';
import type { ServiceTelemetry } from '../../lib/telemetry/serviceTelemetry';

/** A session's start or end, as the PoD source reports it. */
export type PodSessionEvent = Exclude<PodSourceEvent, { kind: 'frame' }>;

/** What {@link PodSessions} reports to. */
export interface PodSessionsDeps {
  readonly telemetry: Pick<ServiceTelemetry, 'counters' | 'outcome' | 'connected' | 'reconnects'>;
  /** A session ended: the windows holding events back flush (`StreamFlow.streamBroke`). */
  readonly streamBroke: () => void;
  readonly now: () => number;
}

/**
 * The session bookkeeping of a PoD service: each attempt counted as a request by its outcome,
 * each frame as received, each session's start (a reconnect after the first) and end (the time
 * the catch-up decision reads, and a break of the stream so that the sort window flushes).
 */
export class PodSessions {
  private ended: number | undefined;

  constructor(private readonly deps: PodSessionsDeps) {}

  /** When the last session of this run ended (`undefined`: none ended yet). */
  get lastEnd(): number | undefined {
    return this.ended;
  }

  /** A handshake answered with `outcome` (an HTTP status, or a transport failure). */
  attempt(outcome: string): void {
    this.deps.telemetry.counters.requests++;
    this.deps.telemetry.outcome(outcome);
  }

  /** A frame arrived (before it is parsed). */
  frame(): void {
    this.deps.telemetry.counters.received++;
  }

  /** A session started or ended. */
  session(event: PodSessionEvent): void {
    const { telemetry } = this.deps;
    if (event.kind === 'open') {
      if (this.ended !== undefined) telemetry.reconnects++;
      telemetry.connected = true;
    } else {
      telemetry.connected = false;
      this.ended = this.deps.now();
      this.deps.streamBroke();
    }
  }
}
