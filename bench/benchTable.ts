import type { BenchResult } from './benchReport';

/** The median of `values` (the lower one of an even count). */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[(values.length - 1) >> 1]!;
}

/** The results as a text table, one row per scenario and forwarder. */
export function resultsTable(results: readonly BenchResult[]): string {
  const head = [
    'scenario',
    'forwarder',
    'variant',
    'events',
    'seconds',
    'frames/s',
    'events/s',
    'MiB/s',
    'whole-run frames/s',
    'CPU µs/frame',
    'p50 ms',
    'p99 ms',
    'peak RSS MiB',
  ];
  const rows = results.map((r) => [
    r.scenario,
    r.forwarder,
    r.variant ?? '',
    String(r.eventsReceived),
    r.seconds.toFixed(2),
    r.framesPerSec.toFixed(0),
    r.eventsPerSec.toFixed(0),
    r.mibPerSec.toFixed(1),
    r.wholeRunFramesPerSec.toFixed(0),
    Number.isNaN(r.cpuMicrosPerEvent) ? '-' : r.cpuMicrosPerEvent.toFixed(1),
    Number.isNaN(r.p50Ms) ? '-' : r.p50Ms.toFixed(0),
    Number.isNaN(r.p99Ms) ? '-' : r.p99Ms.toFixed(0),
    r.peakRssMiB.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}
