import type { CountersSnapshot } from '../stats/serviceCounters';
import { SenderTelemetry } from './senderTelemetry';
import { ServiceTelemetry, type Held, type LastError, type ServiceState } from './serviceTelemetry';

/** Options of a {@link CollectorTelemetry}. */
export interface CollectorTelemetryOptions {
  /**
   * `/ready` stays 200 while delivering to Devo has been failing for less than this; then 503.
   * Default 30 s (a reconnect after a relay restart takes a few seconds).
   */
  readonly readinessGraceMs?: number;
  readonly now?: () => number;
}

/** The figures of a CASB input's client (one api key): its 429 pauses and token renewals. */
export interface CasbInputTelemetry {
  rateLimited: number;
  tokenRenewals: number;
}

/** The result of the readiness check: ready, or the first failing check. */
export type Readiness =
  | { readonly ready: true }
  | {
      readonly ready: false;
      readonly check: 'stopping' | 'devo_connection' | 'service' | 'state';
      readonly detail: string;
      readonly service?: string;
      readonly output?: string;
    };

/** One service in `/status`. */
export interface ServiceStatus {
  readonly name: string;
  readonly input: string;
  readonly inputId: string;
  readonly state: ServiceState;
  readonly connected: boolean;
  /** ISO-8601 of the latest delivered event, or null. */
  readonly lastEventTime: string | null;
  /** Seconds from the latest delivered event to now, or null. */
  readonly lagSeconds: number | null;
  readonly lastError: (Omit<LastError, 'at'> & { readonly at: string }) | null;
  readonly lastCommit: string | null;
  readonly commitFailures: number;
  readonly pausedSeconds: number;
  readonly held: Held;
  readonly counters: CountersSnapshot;
  readonly requests: Readonly<Record<string, number>>;
}

/** One output in `/status`: its connection, queue, resend window and last problem. */
export interface OutputStatus {
  readonly connected: boolean;
  readonly failingSince: string | null;
  readonly linesWritten: number;
  /** Bytes the socket took: on the wire (compressed, when the output compresses). */
  readonly bytesWritten: number;
  /** The lines' bytes of those writes before compression (equal to `bytesWritten` when nothing is compressed). */
  readonly bytesUncompressed: number;
  readonly queuedLines: number;
  readonly unconfirmedBytes: number;
  /** The last problem the output reported (kept after it recovers: `failingSince` says whether it still fails). */
  readonly lastError: { readonly code: string | undefined; readonly message: string; readonly at: string } | null;
}

/** The `/status` document. */
export interface CollectorStatus {
  readonly collector: { readonly id: string; readonly name: string; readonly startedAt: string; readonly stopping: boolean };
  readonly ready: Readiness;
  /** Each output, in file order, with its name (`devo_1`). */
  readonly outputs: ReadonlyArray<OutputStatus & { readonly name: string }>;
  /** The first output (the only one, with one): as `outputs[0]`, without its name. */
  readonly output: OutputStatus;
  readonly services: readonly ServiceStatus[];
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

function outputStatus(sender: SenderTelemetry): OutputStatus {
  return {
    connected: sender.connected,
    failingSince: iso(sender.failingSince),
    linesWritten: sender.linesWritten,
    bytesWritten: sender.bytesWritten,
    bytesUncompressed: sender.bytesUncompressed,
    queuedLines: sender.queuedLines(),
    unconfirmedBytes: sender.unconfirmedBytes(),
    lastError: sender.lastError === undefined ? null : { ...sender.lastError, at: new Date(sender.lastError.at).toISOString() },
  };
}

/**
 * The telemetry of one collector process: one {@link ServiceTelemetry} per service, the output's
 * {@link SenderTelemetry}, the CASB inputs' figures, and the readiness rule. What `/metrics`,
 * `/health`, `/ready` and `/status` show is read from here; it never holds a secret (the last
 * errors are redacted by the services' loggers).
 */
export class CollectorTelemetry {
  /** The first output's telemetry (the only one's, with one output). */
  readonly sender: SenderTelemetry;
  private readonly outputList = new Map<string, SenderTelemetry>();
  /** The collector is stopping: not ready. */
  stopping = false;
  private readonly serviceList: ServiceTelemetry[] = [];
  private readonly casb = new Map<string, CasbInputTelemetry>();
  private readonly now: () => number;
  private readonly graceMs: number;
  private readonly startedAt: number;

  constructor(
    readonly collector: { readonly id: string; readonly name: string },
    options: CollectorTelemetryOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.graceMs = options.readinessGraceMs ?? 30_000;
    this.startedAt = this.now();
    this.sender = new SenderTelemetry(this.now);
  }

  /** Registers (or finds) the telemetry of the output named `name`; the first registered is {@link sender}. */
  output(name: string): SenderTelemetry {
    let found = this.outputList.get(name);
    if (found === undefined) {
      found = this.outputList.size === 0 ? this.sender : new SenderTelemetry(this.now);
      this.outputList.set(name, found);
    }
    return found;
  }

  /** Every output's telemetry by name, in registration (file) order. */
  get outputs(): ReadonlyMap<string, SenderTelemetry> {
    return this.outputList;
  }

  /** Every output's telemetry by name; without a registered output, the one {@link sender} as `output`. */
  senders(): ReadonlyArray<readonly [string, SenderTelemetry]> {
    return this.outputList.size > 0 ? [...this.outputList] : [['output', this.sender]];
  }

  /** Registers (or finds) the telemetry of a service. */
  service(input: string, inputId: string, service: string): ServiceTelemetry {
    const found = this.serviceList.find((s) => s.input === input && s.inputId === inputId && s.service === service);
    if (found !== undefined) return found;
    const created = new ServiceTelemetry(input, inputId, service, this.now);
    this.serviceList.push(created);
    return created;
  }

  get services(): readonly ServiceTelemetry[] {
    return this.serviceList;
  }

  /** The figures of a CASB input's client (created on first use). */
  casbInput(inputId: string): CasbInputTelemetry {
    let found = this.casb.get(inputId);
    if (found === undefined) {
      found = { rateLimited: 0, tokenRenewals: 0 };
      this.casb.set(inputId, found);
    }
    return found;
  }

  get casbInputs(): ReadonlyMap<string, CasbInputTelemetry> {
    return this.casb;
  }

  /**
   * Ready when: not stopping; delivering to Devo has not been failing for longer than the grace
   * period (the sender's `failingSince`: cleared by a confirmed delivery, not by a handshake; a
   * connection closed cleanly when idle is not a failure); every service runs (none in a restart
   * back-off, none stopped; with workers, as the workers report them); and no service's last
   * state write failed.
   */
  readiness(): Readiness {
    if (this.stopping) return { ready: false, check: 'stopping', detail: 'the collector is stopping' };
    const outputs: ReadonlyArray<[string | undefined, SenderTelemetry]> = this.outputList.size === 0 ? [[undefined, this.sender]] : [...this.outputList];
    for (const [name, sender] of outputs) {
      const failingSince = sender.failingSince;
      if (failingSince === undefined || this.now() - failingSince < this.graceMs) continue;
      const several = name !== undefined && this.outputList.size > 1;
      const relay = several ? `output ${name}` : 'the Devo relay';
      return {
        ready: false,
        check: 'devo_connection',
        ...(several ? { output: name } : {}),
        detail: `nothing delivered to ${relay} since ${new Date(failingSince).toISOString()} (connections fail, or end before the relay confirms)`,
      };
    }
    for (const s of this.serviceList) {
      if (s.state !== 'running' && s.state !== 'starting') return { ready: false, check: 'service', service: s.name, detail: `${s.name} is ${s.state}` };
    }
    for (const s of this.serviceList) {
      if (s.lastCommitFailed) return { ready: false, check: 'state', service: s.name, detail: `${s.name} cannot write its state (STATE_WRITE_FAILED)` };
    }
    return { ready: true };
  }

  /** The `/status` document. */
  status(): CollectorStatus {
    const now = this.now();
    return {
      collector: { ...this.collector, startedAt: new Date(this.startedAt).toISOString(), stopping: this.stopping },
      ready: this.readiness(),
      outputs: [...this.outputList].map(([name, sender]) => ({ name, ...outputStatus(sender) })),
      output: outputStatus(this.sender),
      services: this.serviceList.map((s) => ({
        name: s.name,
        input: s.input,
        inputId: s.inputId,
        state: s.state,
        connected: s.connected,
        lastEventTime: iso(s.lastDeliveredEventTime),
        lagSeconds: s.lastDeliveredEventTime === undefined ? null : Math.max(0, (now - s.lastDeliveredEventTime) / 1000),
        lastError: s.lastError === undefined ? null : { ...s.lastError, at: new Date(s.lastError.at).toISOString() },
        lastCommit: iso(s.lastCommitAt),
        commitFailures: s.commitFailures,
        pausedSeconds: s.pausedSeconds,
        held: s.holds,
        counters: s.counters.snapshot(),
        requests: Object.fromEntries(s.outcomes),
      })),
    };
  }
}
