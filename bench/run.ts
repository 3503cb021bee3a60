import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeThrowawayPki, type ThrowawayPkiFiles } from '../lib/cli/writeThrowawayPki';
import { FLOOR_VARIANTS, type FloorVariant } from './benchFloor';
import { FRAME_SHAPES, type FrameShapeName } from './benchFrames';
import type { InProcessResult } from './benchInProcess';
import { renderChart } from './benchChart';

/** One measured run. */
export interface BenchResult {
  readonly scenario: string;
  /** `before`: the pipeline of another build (`--before`), for before/after in the same run. */
  readonly forwarder: 'pipeline' | 'floor' | 'before';
  /** The floor's variant (see benchFloor.ts). */
  readonly variant?: FloorVariant;
  readonly framesSent: number;
  readonly eventsReceived: number;
  /** From the session's start to the last event at the receiver (warm-up and drain included). */
  readonly seconds: number;
  /** Sustained rates, measured between 10% and 90% of the events at the receiver. */
  readonly framesPerSec: number;
  readonly eventsPerSec: number;
  readonly mibPerSec: number;
  /** Rate over the whole run (`framesSent / seconds`). */
  readonly wholeRunFramesPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly peakRssMiB: number;
  readonly rssMiB: number;
  /** CPU time of the forwarder per event (user + system), in µs. */
  readonly cpuMicrosPerEvent: number;
  /** CPU seconds of the forwarder per wall second, over the run (2 = two cores busy). */
  readonly cpuPerWallSecond: number;
  /** The share of the forwarder's CPU spent on its busiest thread (1 = everything on one thread). */
  readonly busiestThreadShare: number;
}

/** One round of a throughput scenario: its forwarders one after the other. */
export interface ThroughputRound {
  readonly shape: FrameShapeName;
  readonly floor: BenchResult;
  readonly pipeline: BenchResult;
  readonly ratio: number;
  readonly before?: BenchResult;
  readonly beforeRatio?: number;
}

/** The whole report (`--json`). */
export interface BenchReport {
  readonly date: string;
  readonly machine: { readonly cpus: string; readonly cores: number; readonly memoryGiB: number; readonly node: string };
  /** One row per scenario and forwarder; for throughput, the round with the median pipeline/floor ratio. */
  readonly results: readonly BenchResult[];
  /** Throughput rounds: the floor and the pipeline (and `before`) one after the other, each round on its own. */
  readonly throughputRounds: readonly ThroughputRound[];
  /** `throughput <shape> pipeline/floor (frames/s)` is the median of the shape's rounds' ratios. */
  readonly ratios: Readonly<Record<string, number>>;
  /**
   * The de-dup window's memory: the idle collector holding `keys` restored keys, against the idle
   * collector plus lru-cache alone holding as many (`overheadMiB` is what the collector adds).
   */
  readonly dedup?: { readonly keys: number; readonly rssMiB: number; readonly idleRssMiB: number; readonly lruAloneMiB: number; readonly lruAloneLiveMiB: number; readonly overheadMiB: number };
  /** Scenario `per-event`: the pipeline's own cost per event, in process (see benchInProcess.ts), each run and the median. */
  readonly perEvent?: readonly PerEventResult[];
}

/** The in-process cost per event of one build on one shape. */
export interface PerEventResult {
  readonly shape: FrameShapeName;
  readonly build: 'pipeline' | 'before';
  readonly wallNs: readonly number[];
  readonly cpuNs: readonly number[];
  readonly medianWallNs: number;
  readonly medianCpuNs: number;
}

const DIST = path.join(__dirname, '..');
const CLI = path.join(DIST, 'lib', 'cli', 'main.js');

function once<T>(child: ChildProcess, predicate: (m: Record<string, unknown>) => boolean, what: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    const onMessage = (m: Record<string, unknown>) => {
      if (!predicate(m)) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what}: the process exited (${code})`));
    });
  });
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of each thread of a process, by thread id, from /proc/<pid>/task/<tid>/stat. */
async function threadCpuSeconds(pid: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    try {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** The busiest thread's share of the CPU the threads used between two readings. */
function busiestShare(before: Map<string, number>, after: Map<string, number>): number {
  const used = [...after].map(([tid, cpu]) => cpu - (before.get(tid) ?? 0)).filter((d) => d > 0);
  const total = used.reduce((a, b) => a + b, 0);
  return total > 0 ? Math.max(...used) / total : NaN;
}

/** Peak and current RSS of a process, from /proc (VmHWM, VmRSS), in MiB. */
async function rss(pid: number): Promise<{ peak: number; now: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

interface ScenarioOptions {
  readonly name: string;
  readonly forwarder: BenchResult['forwarder'];
  readonly total: number;
  /** Frames per second; 0 = as fast as possible. */
  readonly rate: number;
  readonly dedupMaxKeys?: number;
  /** Keys to preload into the de-dup window (journal) before the run. */
  readonly preloadKeys?: number;
  readonly profileDir?: string;
  /** The sessions' frame shapes, one PoD service each (default `message-3k`). */
  readonly shapes?: readonly FrameShapeName[];
  readonly variant?: FloorVariant;
  /** The `before` build's CLI. */
  readonly beforeCli?: string;
  /** Run them with `multiprocessing: true`. */
  readonly multiprocessing?: boolean;
  /** With `multiprocessing`: `shared`, the workers write through one connection in the main thread. */
  readonly workerOutput?: 'own' | 'shared';
  /** Idle runs (`total` 0): how long to stay connected before reading the RSS. */
  readonly idleSeconds?: number;
}

async function scenario(work: string, pki: ThrowawayPkiFiles, o: ScenarioOptions): Promise<BenchResult> {
  const dir = await mkdtemp(path.join(work, `${o.name.replace(/[^a-z0-9]+/gi, '_')}-${o.forwarder}-`));
  const shapes = o.shapes ?? ['message-3k'];
  const types = shapes.map((shape) => FRAME_SHAPES[shape].type);
  const duplicates = o.total > 0 ? Math.floor(o.total / 100) : 0;
  const expected = types.length * (o.forwarder === 'floor' ? o.total + duplicates : o.total);
  const certs = { ca: pki.chain, cert: pki.serverCert, key: pki.serverKey };
  const receiver = fork(path.join(__dirname, 'benchReceiver.js'), [JSON.stringify({ ...certs, expected: Math.max(1, expected), latency: o.rate > 0 })]);
  const source = fork(path.join(__dirname, 'benchSource.js'), [JSON.stringify({ total: o.total, rate: o.rate, duplicates: 0.01, shapes })]);
  const children: ChildProcess[] = [receiver, source];
  try {
    const { port: relayPort } = await once<{ port: number }>(receiver, (m) => 'port' in m, 'the receiver', 10_000);
    const { port: sourcePort } = await once<{ port: number }>(source, (m) => 'port' in m, 'the source', 120_000);
    const url = `ws://127.0.0.1:${sourcePort}`;
    let forwarder: ChildProcess;
    if (o.forwarder !== 'floor') {
      await writeFile(
        path.join(dir, 'config.yaml'),
        `globals: { id: "1", name: bench, multiprocessing: ${o.multiprocessing === true} }
outputs:
  devo_1:
    type: devo_platform
    config: { address: localhost, port: ${relayPort}, type: SSL, chain: ${pki.chain}, cert: ${pki.clientCert}, key: ${pki.clientKey}, hostname: bench }
inputs:
  proofpoint_on_demand:
    id: "1"
    credentials: { cluster_id: bench_hosted, api_token: bench }
    override_url_base: ${url}
    services:
${types.map((t) => `      ${t}: { period_in_seconds: 1${o.dedupMaxKeys === undefined ? '' : `, dedup_max_keys: ${o.dedupMaxKeys}`} }`).join('\n')}
`,
      );
      if (o.preloadKeys !== undefined) {
        await mkdir(path.join(dir, 'state'), { recursive: true });
        const expires = Date.now() + 3_600_000;
        const lines: string[] = [];
        for (let i = 0; i < o.preloadKeys; i++) lines.push(`["preloaded-${i.toString(36).padStart(26, '0')}",${expires}]\n`);
        await writeFile(path.join(dir, 'state', `proofpoint_on_demand-1-${types[0]!}.dedup.jsonl`), lines.join(''));
      }
      const cli = o.forwarder === 'before' ? o.beforeCli! : CLI;
      const command = o.workerOutput === 'shared' ? [path.join(__dirname, 'benchCollector.js'), JSON.stringify({ config: 'config.yaml', workerOutput: 'shared' })] : [cli, 'run', '--config', 'config.yaml'];
      const args = [...(o.profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', o.profileDir]), ...command];
      forwarder = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    } else {
      forwarder = fork(path.join(__dirname, 'benchFloor.js'), [JSON.stringify({ url, port: relayPort, ca: pki.chain, cert: pki.clientCert, key: pki.clientKey, type: types[0], ...(o.variant === undefined ? {} : { variant: o.variant }) })]);
    }
    children.push(forwarder);
    if (o.total === 0) {
      // Idle: connected, nothing to forward.
      const idleSeconds = o.idleSeconds ?? 10;
      await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
      const memory = await rss(forwarder.pid!);
      return {
        scenario: o.name,
        forwarder: o.forwarder,
        ...(o.variant === undefined ? {} : { variant: o.variant }),
        framesSent: 0,
        eventsReceived: 0,
        seconds: idleSeconds,
        framesPerSec: 0,
        eventsPerSec: 0,
        mibPerSec: 0,
        wholeRunFramesPerSec: 0,
        p50Ms: NaN,
        p99Ms: NaN,
        peakRssMiB: memory.peak,
        rssMiB: memory.now,
        cpuMicrosPerEvent: NaN,
        cpuPerWallSecond: NaN,
        busiestThreadShare: NaN,
      };
    }
    const started = once<{ started: number }>(source, (m) => 'started' in m, 'the session', 60_000);
    const cpuBefore = await started.then(() => cpuSeconds(forwarder.pid!));
    const threadsBefore = await threadCpuSeconds(forwarder.pid!);
    const received = await once<{ lines: number; bytes: number; lastAt: number; at10: number; at90: number; p50: number | null; p99: number | null }>(
      receiver,
      (m) => m['done'] === true,
      'every event',
      600_000,
    );
    const { started: startedAt } = await started;
    const memory = await rss(forwarder.pid!);
    const cpu = (await cpuSeconds(forwarder.pid!)) - cpuBefore;
    const threadsAfter = await threadCpuSeconds(forwarder.pid!);
    const seconds = (received.lastAt - startedAt) / 1000;
    const framesSent = types.length * (o.total + duplicates);
    const sustained = Math.max(0.001, (received.at90 - received.at10) / 1000);
    return {
      scenario: o.name,
      forwarder: o.forwarder,
      ...(o.variant === undefined ? {} : { variant: o.variant }),
      framesSent,
      eventsReceived: received.lines,
      seconds,
      framesPerSec: (0.8 * framesSent) / sustained,
      eventsPerSec: (0.8 * received.lines) / sustained,
      mibPerSec: (0.8 * received.bytes) / 1024 / 1024 / sustained,
      wholeRunFramesPerSec: framesSent / seconds,
      cpuMicrosPerEvent: (cpu * 1e6) / framesSent,
      cpuPerWallSecond: cpu / seconds,
      busiestThreadShare: busiestShare(threadsBefore, threadsAfter),
      p50Ms: received.p50 ?? NaN, // null: not measured (a blast; NaN does not cross IPC)
      p99Ms: received.p99 ?? NaN,
      peakRssMiB: memory.peak,
      rssMiB: memory.now,
    };
  } finally {
    for (const child of children.reverse()) await stop(child);
  }
}

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[(values.length - 1) >> 1]!;
}

function table(results: readonly BenchResult[]): string {
  const head = ['scenario', 'forwarder', 'variant', 'events', 'seconds', 'frames/s', 'events/s', 'MiB/s', 'whole-run frames/s', 'CPU µs/frame', 'p50 ms', 'p99 ms', 'peak RSS MiB'];
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

async function main(): Promise<void> {
  const flags = parseArgs({
    options: {
      n: { type: 'string', default: '200000' },
      rate: { type: 'string', default: '5000' },
      'latency-seconds': { type: 'string', default: '20' },
      'dedup-keys': { type: 'string', default: '1000000' },
      'workers-n': { type: 'string', default: '100000' },
      'idle-seconds': { type: 'string', default: '10' },
      scenarios: { type: 'string', default: 'throughput,per-event,latency,dedup,idle,workers' },
      shapes: { type: 'string', default: 'maillog,message-1.5k,message-3k,mix' },
      before: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench/results' },
      rounds: { type: 'string', default: '3' },
      profile: { type: 'boolean', default: false },
    },
  }).values;
  const n = Number(flags.n);
  const rate = Number(flags.rate);
  const rounds = Number(flags.rounds);
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds must be a whole number >= 1, got ${flags.rounds}`);
  const wanted = new Set(flags.scenarios.split(','));
  const shapes = flags.shapes.split(',') as FrameShapeName[];
  for (const shape of shapes) if (!(shape in FRAME_SHAPES)) throw new Error(`--shapes: unknown shape ${shape} (known: ${Object.keys(FRAME_SHAPES).join(', ')})`);
  // `--before DIR`: a checkout of another build (its dist/lib/cli/main.js) measured in the same run.
  const beforeCli = flags.before === undefined ? undefined : path.resolve(flags.before, 'dist', 'lib', 'cli', 'main.js');
  const out = path.resolve(flags.out);
  await mkdir(out, { recursive: true });
  const work = await mkdtemp(path.join(tmpdir(), 'pdc-bench-'));
  const log = (text: string) => {
    if (!flags.json) console.log(text);
  };
  try {
    const pki = await writeThrowawayPki(path.join(work, 'certs'));
    const profileDir = flags.profile ? path.join(out, 'profiles') : undefined;
    const results: BenchResult[] = [];
    const measure = async (o: ScenarioOptions) => {
      log(`running ${o.name} / ${o.forwarder} …`);
      const r = await scenario(work, pki, o);
      log(`  ${r.eventsReceived} events in ${r.seconds.toFixed(2)} s: ${r.framesPerSec.toFixed(0)} frames/s, p99 ${r.p99Ms.toFixed(0)} ms, peak RSS ${r.peakRssMiB.toFixed(1)} MiB`);
      return r;
    };
    const runOne = async (o: ScenarioOptions) => {
      results.push(await measure(o));
    };
    // The shared machine's speed drifts: the floor and the pipeline (and the `before` build) run
    // back to back, several times, and the ratio is the median of the rounds' ratios.
    const throughputRounds: ThroughputRound[] = [];
    let lruAlone: { keys: number; addedMiB: number; liveMiB: number } | undefined;
    if (wanted.has('throughput')) {
      for (const shape of shapes) {
        const total = shape === 'mix' ? Math.ceil(n / 10) : n;
        const scenarioName = `throughput ${shape}`;
        const mine: ThroughputRound[] = [];
        for (let round = 1; round <= rounds; round++) {
          const name = rounds === 1 ? scenarioName : `${scenarioName} (round ${round} of ${rounds})`;
          const common = { name, total, rate: 0, shapes: [shape] } as const;
          const floor = await measure({ ...common, forwarder: 'floor' });
          const pipeline = await measure({ ...common, forwarder: 'pipeline', ...(profileDir === undefined || round > 1 ? {} : { profileDir }) });
          const before = beforeCli === undefined ? undefined : await measure({ ...common, forwarder: 'before', beforeCli });
          mine.push({ shape, floor, pipeline, ratio: pipeline.framesPerSec / floor.framesPerSec, ...(before === undefined ? {} : { before, beforeRatio: before.framesPerSec / floor.framesPerSec }) });
        }
        throughputRounds.push(...mine);
        const median = [...mine].sort((a, b) => a.ratio - b.ratio)[(mine.length - 1) >> 1]!;
        results.push({ ...median.floor, scenario: scenarioName }, { ...median.pipeline, scenario: scenarioName });
        if (median.before !== undefined) results.push({ ...median.before, scenario: scenarioName });
      }
    }
    const perEvent: PerEventResult[] = [];
    if (wanted.has('per-event')) {
      // The pipeline alone, in process, the builds alternated: at least 5 runs each, the median kept.
      const runs = Math.max(5, rounds);
      const builds: ReadonlyArray<{ build: PerEventResult['build']; dist: string }> = [{ build: 'pipeline', dist: DIST }, ...(beforeCli === undefined ? [] : [{ build: 'before' as const, dist: path.resolve(beforeCli, '..', '..', '..') }])];
      for (const shape of shapes) {
        const total = shape === 'mix' ? Math.ceil(n / 10) : n;
        const measured = builds.map(() => ({ wallNs: [] as number[], cpuNs: [] as number[] }));
        for (let round = 0; round < runs; round++) {
          for (const [i, { dist }] of builds.entries()) {
            log(`running per-event ${shape} / ${builds[i]!.build} (${round + 1} of ${runs}) …`);
            const dir = await mkdtemp(path.join(work, `per-event-${shape}-`));
            const child = fork(path.join(__dirname, 'benchInProcess.js'), [JSON.stringify({ dist, shape, total, dir, ca: pki.chain, cert: pki.clientCert, key: pki.clientKey })]);
            const r = await once<InProcessResult>(child, (m) => 'wallNs' in m, 'the in-process run', 300_000);
            await stop(child);
            measured[i]!.wallNs.push(r.wallNs);
            measured[i]!.cpuNs.push(r.cpuNs);
          }
        }
        for (const [i, { build }] of builds.entries()) {
          const { wallNs, cpuNs } = measured[i]!;
          perEvent.push({ shape, build, wallNs, cpuNs, medianWallNs: median(wallNs), medianCpuNs: median(cpuNs) });
        }
      }
    }
    if (wanted.has('floors')) {
      // What was tried to make the floor faster (BENCHMARKS.md): each variant, each shape.
      for (const shape of shapes) {
        const total = shape === 'mix' ? Math.ceil(n / 10) : n;
        for (const variant of FLOOR_VARIANTS) await runOne({ name: `floor variants ${shape}`, forwarder: 'floor', variant, total, rate: 0, shapes: [shape] });
      }
    }
    // The pipeline, then the `before` build if given, on the same scenario.
    const runPipelines = async (o: Omit<ScenarioOptions, 'forwarder'>) => {
      await runOne({ ...o, forwarder: 'pipeline' });
      if (beforeCli !== undefined) await runOne({ ...o, forwarder: 'before', beforeCli });
    };
    if (wanted.has('latency')) {
      const total = rate * Number(flags['latency-seconds']);
      await runOne({ name: `latency@${rate}/s`, forwarder: 'floor', total, rate });
      await runPipelines({ name: `latency@${rate}/s`, total, rate });
    }
    const idleSeconds = Number(flags['idle-seconds']);
    if (wanted.has('idle') || wanted.has('dedup')) await runPipelines({ name: 'idle', total: 0, rate: 0, idleSeconds });
    if (wanted.has('dedup')) {
      // The window restored from the journal, the default bounds (dedup_max_size_in_mb): idle,
      // then a blast on top of it; and lru-cache alone holding as many keys, in a process of its own.
      const keys = Number(flags['dedup-keys']);
      await runPipelines({ name: `dedup ${keys} keys, idle`, total: 0, rate: 0, preloadKeys: keys, idleSeconds });
      await runPipelines({ name: `dedup ${keys} keys, blast`, total: n, rate: 0, preloadKeys: keys, shapes: ['maillog'] });
      const alone = fork(path.join(__dirname, 'benchLruAlone.js'), [String(keys)], { execArgv: ['--expose-gc'] });
      lruAlone = await once<{ keys: number; addedMiB: number; liveMiB: number }>(alone, (m) => 'addedMiB' in m, 'lru-cache alone', 120_000);
      await stop(alone);
    }
    if (wanted.has('workers')) {
      // multiprocessing: three PoD services at full speed, on one thread and on three workers.
      const shapes = ['message-3k', 'maillog-full', 'audit'] as const;
      const total = Number(flags['workers-n']);
      for (const multiprocessing of [false, true]) {
        await runOne({ name: `workers: 3 services, multiprocessing ${multiprocessing}`, forwarder: 'pipeline', total, rate: 0, shapes, multiprocessing });
      }
      await runOne({ name: 'workers: 3 services, multiprocessing true, shared output', forwarder: 'pipeline', total, rate: 0, shapes, multiprocessing: true, workerOutput: 'shared' });
      for (const multiprocessing of [false, true]) {
        await runOne({ name: `idle, 3 services, multiprocessing ${multiprocessing}`, forwarder: 'pipeline', total: 0, rate: 0, shapes, multiprocessing, idleSeconds });
      }
    }

    const find = (scenarioName: string, forwarder: string) => results.find((r) => r.scenario === scenarioName && r.forwarder === forwarder);
    const ratios: Record<string, number> = {};
    for (const shape of shapes) {
      const [pipeline, floor, before] = [find(`throughput ${shape}`, 'pipeline'), find(`throughput ${shape}`, 'floor'), find(`throughput ${shape}`, 'before')];
      if (pipeline !== undefined && floor !== undefined) ratios[`throughput ${shape} pipeline/floor (frames/s)`] = pipeline.framesPerSec / floor.framesPerSec;
      if (before !== undefined && floor !== undefined) ratios[`throughput ${shape} before/floor (frames/s)`] = before.framesPerSec / floor.framesPerSec;
    }
    const dedupIdle = results.find((r) => r.scenario.startsWith('dedup') && r.scenario.endsWith(', idle') && r.forwarder === 'pipeline');
    const idle = find('idle', 'pipeline');
    const dedup =
      dedupIdle === undefined || idle === undefined || lruAlone === undefined
        ? undefined
        : { keys: lruAlone.keys, rssMiB: dedupIdle.rssMiB, idleRssMiB: idle.rssMiB, lruAloneMiB: lruAlone.addedMiB, lruAloneLiveMiB: lruAlone.liveMiB, overheadMiB: dedupIdle.rssMiB - idle.rssMiB - lruAlone.addedMiB };
    const report: BenchReport = {
      date: new Date().toISOString(),
      machine: { cpus: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      results,
      throughputRounds,
      ratios,
      ...(dedup === undefined ? {} : { dedup }),
      ...(perEvent.length === 0 ? {} : { perEvent }),
    };
    await writeFile(path.join(out, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(path.join(out, 'bench.svg'), renderChart(report));
    if (flags.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(`\n${report.machine.cores} × ${report.machine.cpus}, ${report.machine.memoryGiB} GiB, Node ${report.machine.node}\n`);
      console.log(table(results));
      for (const shape of shapes) {
        const mine = throughputRounds.filter((r) => r.shape === shape);
        if (mine.length < 2) continue;
        const percent = (x: number | undefined) => `${((x ?? NaN) * 100).toFixed(1)}%`;
        const peak = Math.max(...mine.map((r) => r.pipeline.peakRssMiB));
        console.log(`\nthroughput ${shape} rounds: pipeline/floor ${mine.map((r) => percent(r.ratio)).join(', ')}${beforeCli === undefined ? '' : `; before/floor ${mine.map((r) => percent(r.beforeRatio)).join(', ')}`} (the median round is in the table); pipeline peak RSS at most ${peak.toFixed(1)} MiB`);
      }
      for (const [k, v] of Object.entries(ratios)) console.log(`\n${k}: ${(v * 100).toFixed(1)}%`);
      for (const shape of shapes) {
        const mine = perEvent.filter((r) => r.shape === shape);
        if (mine.length === 0) continue;
        const [after, before] = [mine.find((r) => r.build === 'pipeline'), mine.find((r) => r.build === 'before')];
        const describe = (r: PerEventResult | undefined) => (r === undefined ? '' : `${r.build} ${r.medianWallNs.toFixed(0)} ns wall, ${r.medianCpuNs.toFixed(0)} ns CPU`);
        console.log(`\nper event, in process, ${shape} (median of ${after?.wallNs.length ?? 0} runs): ${describe(after)}${before === undefined || after === undefined ? '' : `; ${describe(before)}: ${((1 - after.medianCpuNs / before.medianCpuNs) * 100).toFixed(1)}% less CPU`}`);
      }
      if (dedup !== undefined) {
        console.log(
          `\nde-dup window, ${dedup.keys} keys: collector ${dedup.rssMiB.toFixed(1)} MiB idle, against ${dedup.idleRssMiB.toFixed(1)} MiB (idle collector) + ${dedup.lruAloneMiB.toFixed(1)} MiB (lru-cache alone; ${dedup.lruAloneLiveMiB.toFixed(1)} MiB of it live): ${dedup.overheadMiB.toFixed(1)} MiB of overhead`,
        );
      }
      const workers = results.filter((r) => r.scenario.startsWith('workers:'));
      if (workers.length > 0) {
        console.log('\nmultiprocessing (3 PoD services at full speed):');
        for (const r of workers) {
          console.log(
            `  ${r.scenario}: ${r.eventsPerSec.toFixed(0)} events/s, ${r.cpuPerWallSecond.toFixed(2)} CPU s per wall s, busiest thread ${(r.busiestThreadShare * 100).toFixed(0)}% of the collector's CPU, peak RSS ${r.peakRssMiB.toFixed(1)} MiB`,
          );
        }
        const idle = (mp: boolean) => find(`idle, 3 services, multiprocessing ${mp}`, 'pipeline');
        const [single, multi] = [idle(false), idle(true)];
        if (single !== undefined && multi !== undefined) console.log(`  idle RSS: ${single.rssMiB.toFixed(1)} MiB on one thread, ${multi.rssMiB.toFixed(1)} MiB with 3 workers: ${((multi.rssMiB - single.rssMiB) / 3).toFixed(1)} MiB per worker`);
      }
      console.log(`\nJSON: ${path.join(out, 'bench.json')}; chart: ${path.join(out, 'bench.svg')}`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
