import { parseArgs } from 'node:util';
import type { CollectorStatus, OutputStatus, ServiceStatus } from '../telemetry/collectorTelemetry';
import type { CommandIo } from './simulateCommand';
import { UsageError } from './usageError';

/** Clears a terminal and puts the cursor home, before each `--watch` refresh. */
const CLEAR_SCREEN = '\u001b[2J\u001b[H';

/** A table: a heading row, then rows, columns padded to their widest cell. */
function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function lag(s: ServiceStatus): string {
  if (s.lagSeconds === null) return '-';
  const seconds = Math.round(s.lagSeconds);
  return seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;
}

/** An output's connection in the status table: failing (with its last code), connected or idle. */
function connection(o: OutputStatus): string {
  if (o.failingSince !== null) return `FAILING${o.lastError?.code === undefined ? '' : ` (${o.lastError.code})`}`;
  return o.connected ? 'connected' : 'idle';
}

/**
 * `/status` as people read it: the collector's readiness and output (a row per output when there
 * are several), then one row per service
 * (state, connection, lag, counters), then the last error of each service that has one.
 */
export function renderStatus(status: CollectorStatus, url: string): string[] {
  const ready = status.ready.ready ? 'ready' : `NOT READY (${status.ready.check}: ${status.ready.detail})`;
  const out = status.output;
  // A collector older than several outputs has no `outputs`: its one output is `output`.
  const outputs = status.outputs ?? [];
  const several = outputs.length > 1;
  const lines = [
    `${status.collector.name} (${status.collector.id}) at ${url}: ${ready}${status.collector.stopping ? ', stopping' : ''}; started ${status.collector.startedAt}`,
    ...(several
      ? table(
          ['OUTPUT', 'CONNECTION', 'WRITTEN', 'QUEUED', 'UNCONFIRMED BYTES', 'FAILING SINCE'],
          outputs.map((o) => [o.name, connection(o), count(o.linesWritten), count(o.queuedLines), count(o.unconfirmedBytes), o.failingSince ?? '-']),
        )
      : [
          `Devo: ${out.failingSince !== null ? `FAILING since ${out.failingSince}${out.lastError?.code === undefined ? '' : ` (${out.lastError.code})`}` : out.connected ? 'connected' : 'idle'}; ${count(out.linesWritten)} lines written, ${count(out.queuedLines)} queued, ${count(out.unconfirmedBytes)} bytes awaiting confirmation`,
        ]),
    '',
    ...table(
      ['SERVICE', 'STATE', 'SOURCE', 'LAG', 'RECEIVED', 'DUPLICATES', 'DEAD', 'SENT', 'HELD', 'PAUSED', 'LAST COMMIT'],
      status.services.map((s) => [
        s.name,
        s.state,
        s.connected ? 'up' : 'down',
        lag(s),
        count(s.counters.received),
        count(s.counters.duplicates),
        count(s.counters.deadLettered),
        count(s.counters.sent),
        count(s.held.sortWindow + s.held.sink),
        `${Math.round(s.pausedSeconds)} s`,
        s.commitFailures > 0 ? `FAILING (${s.commitFailures})` : (s.lastCommit ?? '-'),
      ]),
    ),
  ];
  const problems = [
    ...(several
      ? outputs.flatMap((o) => (o.lastError === null ? [] : [{ name: `output ${o.name}`, error: o.lastError }]))
      : out.lastError === null || out.lastError === undefined
        ? []
        : [{ name: 'output', error: out.lastError }]),
    ...status.services.flatMap((s) => (s.lastError === null ? [] : [{ name: s.name, error: s.lastError }])),
  ];
  if (problems.length > 0) {
    lines.push('', 'Last problems:');
    for (const { name, error } of problems) lines.push(`  ${name} ${error.at} ${error.code === undefined ? '' : `${error.code}: `}${error.message}`);
  }
  return lines;
}

/**
 * `proofpoint-devo-collector status --url http://host:port [--watch] [--interval SECONDS]`:
 * reads the collector's `/status` and prints it as tables; `--watch` refreshes it until interrupted,
 * clearing the screen on a terminal (`io.terminal`), else printing each refresh after a line with
 * its time. Exit 0, or 1 when the collector cannot be reached or answers oddly.
 */
export async function statusCommand(
  args: string[],
  io: CommandIo,
  fetchText: (url: string) => Promise<{ status: number; text: string }> = fetchStatus,
): Promise<number> {
  const flags = parseArgs({
    args,
    options: { url: { type: 'string' }, watch: { type: 'boolean', default: false }, interval: { type: 'string', default: '2' } },
    strict: true,
  }).values;
  if (flags.url === undefined) throw new UsageError("--url http://HOST:PORT (the collector's globals.http_server or run --http) is required");
  const base = flags.url.replace(/\/+$/, '');
  const seconds = Number(flags.interval);
  if (!(seconds > 0)) throw new UsageError(`--interval must be a positive number of seconds, got ${flags.interval}`);
  const once = async (): Promise<boolean> => {
    let answer: { status: number; text: string };
    try {
      answer = await fetchText(`${base}/status`);
    } catch (err) {
      io.out(`Cannot reach ${base}/status: ${err instanceof Error ? err.message : String(err)} (is the collector running with globals.http_server or --http?)`);
      return false;
    }
    if (answer.status !== 200) {
      io.out(`${base}/status answered HTTP ${answer.status}: ${answer.text.slice(0, 200)}`);
      return false;
    }
    for (const line of renderStatus(JSON.parse(answer.text) as CollectorStatus, base)) io.out(line);
    return true;
  };
  if (!flags.watch) return (await once()) ? 0 : 1;
  let stopped = false;
  void io.stopSignal.then(() => (stopped = true));
  for (let refresh = 0; !stopped; refresh++) {
    // Clear-screen codes only on a terminal; into a pipe or a file, one plain table per refresh.
    if (io.terminal === true) io.out(CLEAR_SCREEN);
    else io.out(`${refresh === 0 ? '' : '\n'}=== ${new Date().toISOString()} ===`);
    await once();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([io.stopSignal, new Promise((resolve) => (timer = setTimeout(resolve, seconds * 1000)))]);
    clearTimeout(timer);
  }
  return 0;
}

async function fetchStatus(url: string): Promise<{ status: number; text: string }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('no answer within 5 s')), 5000);
  try {
    const response = await fetch(url, { signal: abort.signal });
    return { status: response.status, text: await response.text() };
  } finally {
    clearTimeout(timer);
  }
}
