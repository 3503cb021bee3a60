import { DEDUP_ENTRY_BYTES } from '../lib/operators/dedupWindow';
import type { FrameShapeName } from './benchFrames';
import type { BenchResult, ScenarioOptions } from './benchScenario';

/**
 * Scenario `memory`: the collector's peak RSS as a function of what a user configures, one run a
 * row, each held for `holdSeconds` from the session's start, then VmHWM read. Rows: services (1, 3
 * PoD, 5 = 3 PoD + 2 CASB) at `rate` events/s per PoD service, multiprocessing off and on; one PoD
 * service with its de-dup window (`dedup_max_size_in_mb`) preloaded full; one PoD service blasting
 * into a Devo that stopped reading, the queue (`queue_max_size_in_mb`) filling to its bound.
 */
export interface MemoryRow {
  /** Which setting the row varies. */
  readonly kind: 'services' | 'dedup' | 'queue';
  readonly label: string;
  readonly podServices: number;
  readonly casbServices: number;
  readonly multiprocessing: boolean;
  /** `dedup_max_size_in_mb` (default 256). */
  readonly dedupMaxMiB: number;
  /** The window's estimated fill (keys × their estimated bytes), MiB: preloaded full, or what the run's keys took. */
  readonly dedupFilledMiB: number;
  /** `queue_max_size_in_mb` and `queue_max_size_in_messages` (defaults 1024, 10 000). */
  readonly queueMaxMiB: number;
  readonly queueMaxMessages: number;
  /** Devo stopped reading: the queue filled to its bound. */
  readonly devoStalled: boolean;
  readonly peakRssMiB: number;
  readonly rssMiB: number;
  /** Events at the Devo relay by the end of the hold (0 when Devo stalled). */
  readonly eventsDelivered: number;
}

/**
 * The formula fitted to the rows: peak RSS ≈ base + per service × (services − 1) + per de-dup MiB ×
 * the windows' filled MiB + per worker × services (multiprocessing) + what a stalled Devo adds
 * (the queue limits cap what the pipelines hold; their own bounds are lower unless the limits are small).
 */
export interface MemoryFit {
  readonly baseMiB: number;
  readonly perServiceMiB: number;
  readonly perDedupMiB: number;
  readonly perWorkerMiB: number;
  /** The most a stalled Devo added to the 1-service base, over the queue rows. */
  readonly stalledDevoMiB: number;
}

/** The scenario's report: what was run, the rows and the formula. */
export interface MemoryReport {
  readonly plan: MemoryPlan;
  readonly rows: readonly MemoryRow[];
  readonly fit: MemoryFit;
}

export interface MemoryPlan {
  readonly holdSeconds: number;
  readonly rate: number;
  readonly dedup: readonly number[];
  /** `default` or a `queue_max_size_in_mb`. */
  readonly queue: readonly ('default' | number)[];
  readonly services: readonly number[];
}

const POD_SHAPES: readonly FrameShapeName[] = ['message-3k', 'maillog-full', 'audit'];
/** A preloaded key: 36 characters (see scenario's preload) plus the window's estimate per key. */
const PRELOADED_KEY_BYTES = DEDUP_ENTRY_BYTES + 36;
/** The bytes of a message-3k event, near enough, to size a blast that overfills a queue. */
const MESSAGE_3K_BYTES = 3000;
const MIB = 2 ** 20;

/** The memory scenario's flags (`--memory-hold-seconds`, `--memory-rate`, `--memory-dedup`, `--memory-queue`, `--memory-services`), checked. */
export function memoryPlan(
  flags: Readonly<Record<'memory-hold-seconds' | 'memory-rate' | 'memory-dedup' | 'memory-queue' | 'memory-services', string>>,
): MemoryPlan {
  const whole = (flag: keyof typeof flags, text: string): number => {
    const x = Number(text);
    if (!(Number.isInteger(x) && x >= 1))
      throw new Error(`--${flag}: whole numbers >= 1${flag === 'memory-queue' ? ' or default' : ''}, comma-separated; got ${flags[flag]}`);
    return x;
  };
  const list = (flag: keyof typeof flags) => (flags[flag] === '' ? [] : flags[flag].split(','));
  return {
    holdSeconds: whole('memory-hold-seconds', flags['memory-hold-seconds']),
    rate: whole('memory-rate', flags['memory-rate']),
    dedup: list('memory-dedup').map((x) => whole('memory-dedup', x)),
    queue: list('memory-queue').map((x) => (x === 'default' ? 'default' : whole('memory-queue', x))),
    services: list('memory-services').map((x) => whole('memory-services', x)),
  };
}

/** The rows of the plan, each with the options of its run (the forwarder is the pipeline). */
export function memoryRuns(
  plan: MemoryPlan,
): Array<{ row: Omit<MemoryRow, 'peakRssMiB' | 'rssMiB' | 'eventsDelivered'>; options: Omit<ScenarioOptions, 'forwarder'> }> {
  const runs: Array<{ row: Omit<MemoryRow, 'peakRssMiB' | 'rssMiB' | 'eventsDelivered'>; options: Omit<ScenarioOptions, 'forwarder'> }> = [];
  const flowing = plan.rate * (plan.holdSeconds + 60);
  const keysMiB = (services: number) => (services * plan.rate * plan.holdSeconds * PRELOADED_KEY_BYTES) / MIB;
  const defaults = { dedupMaxMiB: 256, queueMaxMiB: 1024, queueMaxMessages: 10_000, devoStalled: false } as const;
  for (const services of plan.services) {
    const podServices = Math.min(3, services);
    const casbServices = services - podServices;
    if (!(services >= 1 && services <= 5 && Number.isInteger(services))) throw new Error(`--memory-services: 1 to 5 services each, got ${services}`);
    for (const multiprocessing of [false, true]) {
      const label = `${services} service${services === 1 ? '' : 's'} (${podServices} PoD${casbServices > 0 ? ` + ${casbServices} CASB` : ''}), multiprocessing ${multiprocessing}`;
      runs.push({
        row: { kind: 'services', label, podServices, casbServices, multiprocessing, ...defaults, dedupFilledMiB: keysMiB(podServices) },
        options: {
          name: `memory: ${label}`,
          total: flowing,
          rate: plan.rate,
          shapes: POD_SHAPES.slice(0, podServices),
          multiprocessing,
          holdSeconds: plan.holdSeconds,
          ...(casbServices > 0 ? { casbIntervalMs: 10 } : {}),
        },
      });
    }
  }
  for (const dedupMaxMiB of plan.dedup) {
    const label = `1 PoD service, de-dup window ${dedupMaxMiB} MiB full`;
    const preloadKeys = Math.ceil((dedupMaxMiB * MIB) / PRELOADED_KEY_BYTES) + 1000;
    runs.push({
      row: { kind: 'dedup', label, podServices: 1, casbServices: 0, multiprocessing: false, ...defaults, dedupMaxMiB, dedupFilledMiB: dedupMaxMiB },
      options: { name: `memory: ${label}`, total: flowing, rate: plan.rate, shapes: ['message-3k'], dedupMaxMiB, preloadKeys, holdSeconds: plan.holdSeconds },
    });
  }
  for (const queue of plan.queue) {
    const [queueMaxMiB, queueMaxMessages] = queue === 'default' ? [1024, 10_000] : [queue, 100_000];
    const label = `1 PoD service, Devo stalled, queue ${queue === 'default' ? 'default (10 000 events)' : `${queue} MiB`}`;
    const queued = Math.min(queueMaxMessages, Math.ceil((queueMaxMiB * MIB) / MESSAGE_3K_BYTES));
    runs.push({
      row: {
        kind: 'queue',
        label,
        podServices: 1,
        casbServices: 0,
        multiprocessing: false,
        ...defaults,
        queueMaxMiB,
        queueMaxMessages,
        devoStalled: true,
        dedupFilledMiB: 0,
      },
      options: {
        name: `memory: ${label}`,
        total: Math.ceil(queued * 1.5),
        rate: 0,
        shapes: ['message-3k'],
        stallReceiver: true,
        holdSeconds: plan.holdSeconds,
        ...(queue === 'default' ? {} : { queueMaxMiB, queueMaxMessages }),
      },
    });
  }
  return runs;
}

/** A row with its measured RSS. */
export function memoryRow(row: Omit<MemoryRow, 'peakRssMiB' | 'rssMiB' | 'eventsDelivered'>, r: BenchResult): MemoryRow {
  return { ...row, peakRssMiB: r.peakRssMiB, rssMiB: r.rssMiB, eventsDelivered: r.eventsReceived };
}

/** The slope through `(0, 0)` of `ys` over `xs` (least squares), NaN without points. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const xx = points.reduce((a, [x]) => a + x * x, 0);
  return xx > 0 ? points.reduce((a, [x, y]) => a + x * y, 0) / xx : NaN;
}

/** Fits {@link MemoryFit} to the rows: base from the 1-service row, each term's slope from its own rows. */
export function fitMemory(rows: readonly MemoryRow[]): MemoryFit {
  const flowing = rows.filter((r) => r.kind === 'services');
  const base = flowing.find((r) => r.podServices + r.casbServices === 1 && !r.multiprocessing);
  const baseMiB = base?.peakRssMiB ?? NaN;
  const services = (r: MemoryRow) => r.podServices + r.casbServices;
  const perServiceMiB = slope(flowing.filter((r) => !r.multiprocessing && services(r) > 1).map((r) => [services(r) - 1, r.peakRssMiB - baseMiB] as const));
  const perWorkerMiB = slope(
    flowing
      .filter((r) => r.multiprocessing)
      .flatMap((r) => {
        const single = flowing.find((s) => !s.multiprocessing && services(s) === services(r));
        return single === undefined ? [] : [[services(r), r.peakRssMiB - single.peakRssMiB] as const];
      }),
  );
  const perDedupMiB = slope(
    rows.filter((r) => r.kind === 'dedup').map((r) => [r.dedupFilledMiB - (base?.dedupFilledMiB ?? 0), r.peakRssMiB - baseMiB] as const),
  );
  const stalledDevoMiB = Math.max(...rows.filter((r) => r.kind === 'queue').map((r) => r.peakRssMiB - baseMiB));
  return { baseMiB, perServiceMiB, perDedupMiB, perWorkerMiB, stalledDevoMiB: Number.isFinite(stalledDevoMiB) ? stalledDevoMiB : NaN };
}

/** The table (Markdown) and the fitted formula, as BENCHMARKS.md shows them. */
export function memoryTable(rows: readonly MemoryRow[], fit: MemoryFit): string {
  const head = [
    'configuration',
    'services',
    'multiprocessing',
    'dedup_max_size_in_mb (filled MiB)',
    'queue_max_size_in_mb / messages',
    'events delivered',
    'peak RSS MiB',
    'RSS at the end MiB',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const cells = [
      r.label,
      `${r.podServices} PoD${r.casbServices > 0 ? ` + ${r.casbServices} CASB` : ''}`,
      String(r.multiprocessing),
      `${r.dedupMaxMiB} (${r.dedupFilledMiB.toFixed(0)})`,
      `${r.queueMaxMiB} / ${r.queueMaxMessages}${r.devoStalled ? ', Devo stalled' : ''}`,
      String(r.eventsDelivered),
      r.peakRssMiB.toFixed(1),
      r.rssMiB.toFixed(1),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const f = (x: number) => x.toFixed(x < 10 ? 2 : 0);
  lines.push(
    '',
    `peak RSS ≈ ${f(fit.baseMiB)} MiB + ${f(fit.perServiceMiB)} MiB × (services − 1) + ${f(fit.perDedupMiB)} × de-dup MiB filled + ${f(fit.perWorkerMiB)} MiB × services with multiprocessing, + ${fit.stalledDevoMiB > 0 ? `${f(fit.stalledDevoMiB)} MiB` : 'nothing'} while Devo stalls (the most a queue row held over the base: ${f(fit.stalledDevoMiB)} MiB)`,
  );
  return lines.join('\n');
}
