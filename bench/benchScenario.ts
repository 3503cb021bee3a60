import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ThrowawayPkiFiles } from '../lib/cli/writeThrowawayPki';
import type { FloorVariant } from './benchFloor';
import { FRAME_SHAPES, type FrameShapeName } from './benchFrames';
import { readRss as rss, sampleRss } from './benchRss';
import { benchConfig } from './benchConfig';

// One run of a bench scenario: a source, a receiver and a forwarder (the collector, the `--before`
// build's collector, or the floor) as child processes, and what /proc says of the forwarder.

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
  /** With `sampleRssEveryMs`: the forwarder's VmRSS (MiB), sampled from the session's start to the last event. */
  readonly rssSamplesMiB?: readonly number[];
  /** With `outputs`: the lines each receiver counted, once every one had every event and a moment later (`eventsReceived` and the rates are the last one's to have them all). */
  readonly eventsByOutput?: readonly number[];
}

/** This build's `dist` directory. */
export const DIST = path.join(__dirname, '..');
const CLI = path.join(DIST, 'lib', 'cli', 'main.js');

/** The first IPC message of `child` that satisfies `predicate`; rejects when it exits first or after `timeoutMs`. */
export function once<T>(child: ChildProcess, predicate: (m: Record<string, unknown>) => boolean, what: string, timeoutMs: number): Promise<T> {
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

export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** The lines a bench receiver has counted so far. */
async function count(receiver: ChildProcess): Promise<number> {
  const counted = once<{ lines: number }>(receiver, (m) => m['counted'] === true, 'the count', 10_000);
  receiver.send({ count: true });
  return (await counted).lines;
}

export interface ScenarioOptions {
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
  /** Idle runs (`total` 0): how long to stay connected before reading the RSS. */
  readonly idleSeconds?: number;
  /** `dedup_max_size_in_mb` of every service. */
  readonly dedupMaxMiB?: number;
  /** `globals.queue_max_size_in_mb` and `queue_max_size_in_messages`. */
  readonly queueMaxMiB?: number;
  readonly queueMaxMessages?: number;
  /** Enable the two CASB services, the stand-in making a record of each every `casbIntervalMs`. */
  readonly casbIntervalMs?: number;
  /** The Devo relay takes the connection and never reads it: the collector's queue fills to its bound. */
  readonly stallReceiver?: boolean;
  /** Measure after this long from the session's start instead of waiting for every event (the memory table). */
  readonly holdSeconds?: number;
  /** Node options of the collector's process (`--collector-node-options`, e.g. the image's `--max-old-space-size`). */
  readonly nodeOptions?: readonly string[];
  /** Sample the forwarder's RSS this often during the run (the soak: every 1000 ms). */
  readonly sampleRssEveryMs?: number;
  /** The collector's outputs, each a Devo relay of its own (a receiver process), every event to each (default 1). */
  readonly outputs?: number;
}

export async function scenario(work: string, pki: ThrowawayPkiFiles, o: ScenarioOptions): Promise<BenchResult> {
  const dir = await mkdtemp(path.join(work, `${o.name.replace(/[^a-z0-9]+/gi, '_')}-${o.forwarder}-`));
  const shapes = o.shapes ?? ['message-3k'];
  const types = shapes.map((shape) => FRAME_SHAPES[shape].type);
  const duplicates = o.total > 0 ? Math.floor(o.total / 100) : 0;
  const expected = types.length * (o.forwarder === 'floor' ? o.total + duplicates : o.total);
  const certs = { ca: pki.chain, cert: pki.serverCert, key: pki.serverKey };
  const receivers = Array.from({ length: o.outputs ?? 1 }, () =>
    fork(path.join(__dirname, 'benchReceiver.js'), [
      JSON.stringify({ ...certs, expected: Math.max(1, expected), latency: o.rate > 0, stall: o.stallReceiver === true }),
    ]),
  );
  const receiver = receivers[0]!;
  const source = fork(path.join(__dirname, 'benchSource.js'), [JSON.stringify({ total: o.total, rate: o.rate, duplicates: 0.01, shapes })]);
  const children: ChildProcess[] = [...receivers, source];
  const startCasb = async (intervalMs: number): Promise<string> => {
    const casb = fork(path.join(__dirname, 'benchCasbSource.js'), [JSON.stringify({ intervalMs })]);
    children.push(casb);
    return (await once<{ url: string }>(casb, (m) => 'url' in m, 'the CASB source', 10_000)).url;
  };
  try {
    const relayPorts = await Promise.all(receivers.map(async (r) => (await once<{ port: number }>(r, (m) => 'port' in m, 'the receiver', 10_000)).port));
    const relayPort = relayPorts[0]!;
    const { port: sourcePort } = await once<{ port: number }>(source, (m) => 'port' in m, 'the source', 120_000);
    const url = `ws://127.0.0.1:${sourcePort}`;
    let forwarder: ChildProcess;
    if (o.forwarder !== 'floor') {
      const casbUrl = o.casbIntervalMs === undefined ? undefined : await startCasb(o.casbIntervalMs);
      const { dedupMaxKeys, dedupMaxMiB, queueMaxMiB, queueMaxMessages, multiprocessing } = o;
      await writeFile(
        path.join(dir, 'config.yaml'),
        benchConfig({ relayPorts, pki, podUrl: url, types, dedupMaxKeys, dedupMaxMiB, queueMaxMiB, queueMaxMessages, multiprocessing, casbUrl }),
      );
      if (o.preloadKeys !== undefined) {
        await mkdir(path.join(dir, 'state'), { recursive: true });
        const expires = Date.now() + 3_600_000;
        const lines: string[] = [];
        for (let i = 0; i < o.preloadKeys; i++) lines.push(`["preloaded-${i.toString(36).padStart(26, '0')}",${expires}]\n`);
        await writeFile(path.join(dir, 'state', `proofpoint_on_demand-1-${types[0]!}.dedup.jsonl`), lines.join(''));
      }
      const cli = o.forwarder === 'before' ? o.beforeCli! : CLI;
      const command = [cli, 'run', '--config', 'config.yaml'];
      const args = [...(o.nodeOptions ?? []), ...(o.profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', o.profileDir]), ...command];
      forwarder = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    } else {
      forwarder = fork(path.join(__dirname, 'benchFloor.js'), [
        JSON.stringify({
          url,
          port: relayPort,
          ca: pki.chain,
          cert: pki.clientCert,
          key: pki.clientKey,
          type: types[0],
          ...(o.variant === undefined ? {} : { variant: o.variant }),
        }),
      ]);
    }
    children.push(forwarder);
    if (o.total === 0 || o.holdSeconds !== undefined) {
      // Idle: connected, nothing to forward; or held: events flowing (or piling up) for holdSeconds.
      if (o.total > 0) await once(source, (m) => 'started' in m, 'the session', 60_000);
      const idleSeconds = o.holdSeconds ?? o.idleSeconds ?? 10;
      await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
      const memory = await rss(forwarder.pid!);
      const counted = count(receiver);
      return {
        scenario: o.name,
        forwarder: o.forwarder,
        ...(o.variant === undefined ? {} : { variant: o.variant }),
        framesSent: 0,
        eventsReceived: await counted,
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
    const sampler = o.sampleRssEveryMs === undefined ? undefined : sampleRss(forwarder.pid!, o.sampleRssEveryMs);
    const threadsBefore = await threadCpuSeconds(forwarder.pid!);
    // A forwarder that dies (out of memory in a soak) fails the run at once, rather than at the timeout.
    const died = new Promise<never>((_, reject) =>
      forwarder.once('exit', (code, signal) => reject(new Error(`the ${o.forwarder} exited (${signal ?? code}) before every event arrived`))),
    );
    died.catch(() => undefined);
    type Arrival = { lines: number; bytes: number; lastAt: number; at10: number; at90: number; p50: number | null; p99: number | null };
    // At a rate, the run lasts total / rate seconds (the soak: ten minutes); ten more to drain.
    const timeoutMs = o.rate > 0 ? 600_000 + (o.total / o.rate) * 1000 : 600_000;
    const arrived = Promise.all(receivers.map((r) => once<Arrival>(r, (m) => m['done'] === true, 'every event', timeoutMs)));
    arrived.catch(() => undefined); // it rejects too once the children are stopped
    const arrivals = await Promise.race([arrived, died]).catch(async (err: unknown) => {
      await sampler?.stop(); // or its timer keeps the bench alive
      throw err;
    });
    // The rates are the last receiver's to have every event (with one output, the only one).
    const received = arrivals.reduce((a, b) => (b.lastAt > a.lastAt ? b : a));
    const rssSamplesMiB = await sampler?.stop();
    const { started: startedAt } = await started;
    const memory = await rss(forwarder.pid!);
    const cpu = (await cpuSeconds(forwarder.pid!)) - cpuBefore;
    const threadsAfter = await threadCpuSeconds(forwarder.pid!);
    // Several outputs: what each receiver holds a moment later (an event twice would show there).
    const eventsByOutput = receivers.length === 1 ? undefined : await delay(500).then(() => Promise.all(receivers.map(count)));
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
      ...(rssSamplesMiB === undefined ? {} : { rssSamplesMiB }),
      ...(eventsByOutput === undefined ? {} : { eventsByOutput }),
    };
  } finally {
    for (const child of children.reverse()) await stop(child);
  }
}
