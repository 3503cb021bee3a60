import type { ErrorCode } from '../errors/problems';
import type { CountersSnapshot } from '../stats/serviceCounters';
import type { CollectorTelemetry } from './collectorTelemetry';
import type { Held, LastError, ServiceState } from './serviceTelemetry';
import type { SenderTelemetry } from './senderTelemetry';

/** One service's telemetry as plain data (it crosses from a worker thread to the main one). */
export interface ServiceSnapshot {
  readonly input: string;
  readonly inputId: string;
  readonly service: string;
  readonly state: ServiceState;
  readonly connected: boolean;
  readonly reconnects: number;
  readonly counters: CountersSnapshot;
  readonly outcomes: ReadonlyArray<readonly [string, number]>;
  readonly problems: ReadonlyArray<readonly [ErrorCode, number]>;
  readonly lastDeliveredEventTime: number | undefined;
  readonly lastCommitAt: number | undefined;
  readonly commitFailures: number;
  readonly lastCommitFailed: boolean;
  readonly lastError: LastError | undefined;
  readonly pausedSeconds: number;
  readonly holds: Held;
}

/** A sender's telemetry as plain data, with the write latencies observed since the previous snapshot. */
export interface SenderSnapshot {
  readonly connected: boolean;
  readonly connections: number;
  readonly failures: number;
  readonly connectionsLost: number;
  readonly bytesResent: number;
  readonly failingSince: number | undefined;
  readonly linesWritten: number;
  readonly bytesWritten: number;
  readonly bytesUncompressed: number;
  readonly queuedLines: number;
  readonly unconfirmedBytes: number;
  readonly latencies: readonly number[];
  readonly lastError: LastError | undefined;
}

/** A whole collector's telemetry as plain data (what a worker posts to the main thread). */
export interface TelemetrySnapshot {
  readonly services: readonly ServiceSnapshot[];
  /** Each output's sender by name, in file order. */
  readonly outputs: ReadonlyArray<readonly [string, SenderSnapshot]>;
  readonly casbInputs: ReadonlyArray<readonly [string, { readonly rateLimited: number; readonly tokenRenewals: number }]>;
}

/** Most latencies a snapshot carries (a histogram's worth; more are dropped from it). */
const MAX_LATENCIES = 10_000;

/**
 * Takes the snapshot of a collector's telemetry. Each output's write latencies are collected
 * from the call on (its `latencyObserver` is taken over; register the outputs first) and handed
 * with each snapshot.
 */
export function telemetrySnapshotter(telemetry: CollectorTelemetry): () => TelemetrySnapshot {
  const latencies = new Map<SenderTelemetry, number[]>();
  const observe = (sender: SenderTelemetry): number[] => {
    let list = latencies.get(sender);
    if (list === undefined) {
      const taken: number[] = [];
      list = taken;
      latencies.set(sender, taken);
      sender.latencyObserver = (seconds) => {
        const current = latencies.get(sender)!;
        if (current.length < MAX_LATENCIES) current.push(seconds);
      };
    }
    return list;
  };
  for (const [, sender] of telemetry.senders()) observe(sender);
  return () => {
    const outputs = telemetry.senders().map(([name, s]) => {
      const taken = observe(s);
      latencies.set(s, []);
      return [name, senderSnapshot(s, taken)] as const;
    });
    return {
      services: telemetry.services.map((t) => ({
        input: t.input,
        inputId: t.inputId,
        service: t.service,
        state: t.state,
        connected: t.connected,
        reconnects: t.reconnects,
        counters: t.counters.snapshot(),
        outcomes: [...t.outcomes],
        problems: [...t.problemCounts],
        lastDeliveredEventTime: t.lastDeliveredEventTime,
        lastCommitAt: t.lastCommitAt,
        commitFailures: t.commitFailures,
        lastCommitFailed: t.lastCommitFailed,
        lastError: t.lastError,
        pausedSeconds: t.pausedSeconds,
        holds: t.holds,
      })),
      outputs,
      casbInputs: [...telemetry.casbInputs].map(([id, t]) => [id, { ...t }] as const),
    };
  };
}

function senderSnapshot(s: SenderTelemetry, latencies: readonly number[]): SenderSnapshot {
  return {
    connected: s.connected,
    connections: s.connections,
    failures: s.failures,
    connectionsLost: s.connectionsLost,
    bytesResent: s.bytesResent,
    failingSince: s.failingSince,
    linesWritten: s.linesWritten,
    bytesWritten: s.bytesWritten,
    bytesUncompressed: s.bytesUncompressed,
    queuedLines: s.queuedLines(),
    unconfirmedBytes: s.unconfirmedBytes(),
    latencies,
    lastError: s.lastError,
  };
}

/**
 * A unit's figures across its workers: `retired` (what its dead workers reached, summed) plus
 * `live` (its current worker's, which counts from zero). Counts add up; what describes the
 * present (connected, holds, queues) is the live worker's; the last delivered time, commit and
 * error are the live worker's, or else the retired ones'.
 */
export function addRetired(retired: TelemetrySnapshot | undefined, live: TelemetrySnapshot): TelemetrySnapshot {
  if (retired === undefined) return live;
  const key = (s: ServiceSnapshot) => `${s.input}/${s.inputId}/${s.service}`;
  const before = new Map(retired.services.map((s) => [key(s), s]));
  const casbBefore = new Map(retired.casbInputs);
  const outputsBefore = new Map(retired.outputs);
  return {
    services: [
      ...live.services.map((s) => {
        const old = before.get(key(s));
        before.delete(key(s));
        if (old === undefined) return s;
        const counters = { ...s.counters };
        for (const k of Object.keys(counters) as Array<keyof CountersSnapshot>) counters[k] += old.counters[k];
        const outcomes = new Map(old.outcomes);
        for (const [outcome, n] of s.outcomes) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + n);
        const problems = new Map(old.problems);
        for (const [code, n] of s.problems) problems.set(code, (problems.get(code) ?? 0) + n);
        return {
          ...s,
          counters,
          outcomes: [...outcomes],
          problems: [...problems],
          reconnects: old.reconnects + s.reconnects,
          commitFailures: old.commitFailures + s.commitFailures,
          pausedSeconds: old.pausedSeconds + s.pausedSeconds,
          lastDeliveredEventTime: s.lastDeliveredEventTime ?? old.lastDeliveredEventTime,
          lastCommitAt: s.lastCommitAt ?? old.lastCommitAt,
          lastError: s.lastError ?? old.lastError,
        };
      }),
      ...before.values(),
    ],
    outputs: live.outputs.map(([name, l]) => {
      const r = outputsBefore.get(name);
      if (r === undefined) return [name, l] as const;
      return [
        name,
        {
          ...l,
          connections: r.connections + l.connections,
          failures: r.failures + l.failures,
          connectionsLost: r.connectionsLost + l.connectionsLost,
          bytesResent: r.bytesResent + l.bytesResent,
          linesWritten: r.linesWritten + l.linesWritten,
          bytesWritten: r.bytesWritten + l.bytesWritten,
          bytesUncompressed: r.bytesUncompressed + l.bytesUncompressed,
        },
      ] as const;
    }),
    casbInputs: live.casbInputs.map(([id, f]) => {
      const old = casbBefore.get(id);
      return [id, old === undefined ? f : { rateLimited: old.rateLimited + f.rateLimited, tokenRenewals: old.tokenRenewals + f.tokenRenewals }] as const;
    }),
  };
}

/**
 * A dead worker's last snapshot as it stays counted: nothing connected, queued or held any more
 * (what it held is pulled again by its successor).
 */
export function retire(snapshot: TelemetrySnapshot): TelemetrySnapshot {
  return {
    ...snapshot,
    services: snapshot.services.map((s) => ({ ...s, connected: false, holds: { sortWindow: 0, sink: 0, dedupKeys: 0, dedupBytes: 0 } })),
    outputs: snapshot.outputs.map(
      ([name, s]) => [name, { ...s, connected: false, failingSince: undefined, queuedLines: 0, unconfirmedBytes: 0, latencies: [] }] as const,
    ),
  };
}

/**
 * Copies a unit's snapshot (see {@link addRetired}) into the main thread's telemetry: its services
 * (registered on first sight) and its CASB inputs. `live`: the snapshot is a running worker's, so
 * its services' `state` is taken too (a service in its restart back-off inside the worker makes
 * `/ready` 503); otherwise the main thread's supervision owns the state (a dead worker's is stale).
 */
export function applyServiceSnapshots(telemetry: CollectorTelemetry, snapshot: TelemetrySnapshot, live = false): void {
  for (const s of snapshot.services) {
    const t = telemetry.service(s.input, s.inputId, s.service);
    if (live) t.state = s.state;
    for (const key of Object.keys(s.counters) as Array<keyof CountersSnapshot>) t.counters[key] = s.counters[key];
    for (const [outcome, n] of s.outcomes) t.setOutcome(outcome, n);
    for (const [code, n] of s.problems) t.setProblemCount(code, n);
    t.connected = s.connected;
    t.reconnects = s.reconnects;
    if (s.lastDeliveredEventTime !== undefined) t.delivered(s.lastDeliveredEventTime);
    t.lastCommitAt = s.lastCommitAt ?? t.lastCommitAt;
    t.commitFailures = s.commitFailures;
    t.lastCommitFailed = s.lastCommitFailed;
    t.lastError = s.lastError ?? t.lastError;
    t.setPausedSeconds(s.pausedSeconds);
    const holds = s.holds;
    t.holding(() => holds);
  }
  for (const [id, figures] of snapshot.casbInputs) Object.assign(telemetry.casbInput(id), figures);
}

/**
 * Each output's telemetry in the main thread as the sum of the units' figures for it, by output
 * name (see {@link mergeSenders}); each unit's write latencies go to its output's observer.
 * `snapshots`: every unit's current figures (see {@link addRetired}).
 */
export function applySenderSnapshots(telemetry: CollectorTelemetry, snapshots: readonly TelemetrySnapshot[]): void {
  const byName = new Map<string, SenderSnapshot[]>();
  for (const snapshot of snapshots) {
    for (const [name, sender] of snapshot.outputs) {
      const list = byName.get(name) ?? [];
      list.push(sender);
      byName.set(name, list);
    }
  }
  for (const [name, senders] of byName) mergeSenders(telemetry.output(name), senders);
}

/**
 * The main thread's sender telemetry as the sum of the workers' senders: counts add up, it is
 * connected when every worker is, and failing since the earliest failure of any (readiness).
 */
export function mergeSenders(target: SenderTelemetry, senders: readonly SenderSnapshot[]): void {
  const sum = (pick: (s: SenderSnapshot) => number) => senders.reduce((n, s) => n + pick(s), 0);
  target.connected = senders.length > 0 && senders.every((s) => s.connected);
  target.connections = sum((s) => s.connections);
  target.failures = sum((s) => s.failures);
  target.connectionsLost = sum((s) => s.connectionsLost);
  target.bytesResent = sum((s) => s.bytesResent);
  target.linesWritten = sum((s) => s.linesWritten);
  target.bytesWritten = sum((s) => s.bytesWritten);
  target.bytesUncompressed = sum((s) => s.bytesUncompressed);
  const failing = senders.map((s) => s.failingSince).filter((t): t is number => t !== undefined);
  target.failingSince = failing.length === 0 ? undefined : Math.min(...failing);
  const queued = sum((s) => s.queuedLines);
  const unconfirmed = sum((s) => s.unconfirmedBytes);
  const problems = senders.map((s) => s.lastError).filter((e): e is LastError => e !== undefined);
  target.lastError = problems.length === 0 ? undefined : problems.reduce((a, b) => (b.at > a.at ? b : a));
  target.queuedLines = () => queued;
  target.unconfirmedBytes = () => unconfirmed;
}
