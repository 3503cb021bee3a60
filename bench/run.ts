import { fork } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { writeThrowawayPki } from '../lib/cli/writeThrowawayPki';
import { FLOOR_VARIANTS } from './benchFloor';
import { FRAME_SHAPES, type FrameShapeName } from './benchFrames';
import type { InProcessResult } from './benchInProcess';
import { renderChart } from './benchChart';
import type { BenchReport, PerEventResult, ThroughputRound } from './benchReport';
import { DIST, once, scenario, stop, type BenchResult, type ScenarioOptions } from './benchScenario';
import { describeSoak, soakPlan, soakVerdict, type SoakResult } from './benchSoak';
import { fitMemory, memoryPlan, memoryRow, memoryRuns, memoryTable, type MemoryReport } from './benchMemory';
import { benchFlags } from './benchFlags';
import { describeOutputs, outputsRatios, outputsScenario, type OutputsRound } from './benchOutputs';
import { profileSteps, profileTable } from './benchProfile';
import { median, resultsTable } from './benchTable';

export type { BenchReport, BenchResult, PerEventResult, ThroughputRound } from './benchReport';

async function main(): Promise<void> {
  const flags = benchFlags();
  const n = Number(flags.n);
  const rate = Number(flags.rate);
  const rounds = Number(flags.rounds);
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds must be a whole number >= 1, got ${flags.rounds}`);
  const wanted = new Set(flags.scenarios.split(','));
  const shapes = flags.shapes.split(',') as FrameShapeName[];
  for (const shape of shapes)
    if (!(shape in FRAME_SHAPES)) throw new Error(`--shapes: unknown shape ${shape} (known: ${Object.keys(FRAME_SHAPES).join(', ')})`);
  // `--before DIR`: a checkout of another build (its dist/lib/cli/main.js) measured in the same run.
  const beforeCli = flags.before === undefined ? undefined : path.resolve(flags.before, 'dist', 'lib', 'cli', 'main.js');
  const out = path.resolve(flags.out);
  const nodeOptions = flags['collector-node-options'].split(' ').filter((x) => x !== '');
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
      const r = await scenario(work, pki, nodeOptions.length === 0 || o.forwarder === 'floor' ? o : { ...o, nodeOptions });
      log(
        `  ${r.eventsReceived} events in ${r.seconds.toFixed(2)} s: ${r.framesPerSec.toFixed(0)} frames/s, p99 ${r.p99Ms.toFixed(0)} ms, peak RSS ${r.peakRssMiB.toFixed(1)} MiB`,
      );
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
          const shapeProfiles = profileDir === undefined || round > 1 ? undefined : path.join(profileDir, shape);
          const pipeline = await measure({ ...common, forwarder: 'pipeline', ...(shapeProfiles === undefined ? {} : { profileDir: shapeProfiles }) });
          if (shapeProfiles !== undefined)
            log([`  where the collector's busy time went (${shape}, --profile):`, ...profileTable(await profileSteps(shapeProfiles))].join('\n    '));
          const before = beforeCli === undefined ? undefined : await measure({ ...common, forwarder: 'before', beforeCli });
          mine.push({
            shape,
            floor,
            pipeline,
            ratio: pipeline.framesPerSec / floor.framesPerSec,
            ...(before === undefined ? {} : { before, beforeRatio: before.framesPerSec / floor.framesPerSec }),
          });
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
      const builds: ReadonlyArray<{ build: PerEventResult['build']; dist: string }> = [
        { build: 'pipeline', dist: DIST },
        ...(beforeCli === undefined ? [] : [{ build: 'before' as const, dist: path.resolve(beforeCli, '..', '..', '..') }]),
      ];
      for (const shape of shapes) {
        const total = shape === 'mix' ? Math.ceil(n / 10) : n;
        const measured = builds.map(() => ({ wallNs: [] as number[], cpuNs: [] as number[] }));
        for (let round = 0; round < runs; round++) {
          for (const [i, { dist }] of builds.entries()) {
            log(`running per-event ${shape} / ${builds[i]!.build} (${round + 1} of ${runs}) …`);
            const dir = await mkdtemp(path.join(work, `per-event-${shape}-`));
            const child = fork(path.join(__dirname, 'benchInProcess.js'), [
              JSON.stringify({ dist, shape, total, dir, ca: pki.chain, cert: pki.clientCert, key: pki.clientKey }),
            ]);
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
      for (const multiprocessing of [false, true]) {
        await runOne({
          name: `idle, 3 services, multiprocessing ${multiprocessing}`,
          forwarder: 'pipeline',
          total: 0,
          rate: 0,
          shapes,
          multiprocessing,
          idleSeconds,
        });
      }
    }

    let outputs: OutputsRound[] | undefined;
    if (wanted.has('outputs')) {
      // Not in the default list: one output, then two, on each shape, `--rounds` times.
      const { rounds: each, rows } = await outputsScenario(measure, { shapes, n, rounds });
      outputs = each;
      results.push(...rows);
    }

    let soak: SoakResult | undefined;
    if (wanted.has('soak')) {
      // Not in the default list: ten minutes at 5 000 events/s, RSS sampled every second.
      const { seconds, rate: soakRate, windowSeconds, preloadKeys } = soakPlan(flags);
      const { rssSamplesMiB = [], ...row } = await measure({
        name: `soak ${seconds} s @${soakRate}/s`,
        forwarder: 'pipeline',
        total: Math.round(seconds * soakRate),
        rate: soakRate,
        sampleRssEveryMs: 1000,
        ...(preloadKeys > 0 ? { preloadKeys } : {}),
      });
      results.push(row);
      soak = soakVerdict({ seconds, rate: soakRate, preloadKeys, sampleEveryMs: 1000, samplesMiB: rssSamplesMiB, windowSeconds });
    }

    let memory: MemoryReport | undefined;
    if (wanted.has('memory')) {
      const plan = memoryPlan(flags);
      const rows = [];
      for (const { row, options } of memoryRuns(plan)) rows.push(memoryRow(row, await measure({ ...options, forwarder: 'pipeline' })));
      memory = { plan, rows, fit: fitMemory(rows) };
      await writeFile(path.join(out, 'memory.md'), `${memoryTable(memory.rows, memory.fit)}\n`);
    }

    const find = (scenarioName: string, forwarder: string) => results.find((r) => r.scenario === scenarioName && r.forwarder === forwarder);
    const ratios: Record<string, number> = {};
    for (const shape of shapes) {
      const [pipeline, floor, before] = [find(`throughput ${shape}`, 'pipeline'), find(`throughput ${shape}`, 'floor'), find(`throughput ${shape}`, 'before')];
      if (pipeline !== undefined && floor !== undefined) ratios[`throughput ${shape} pipeline/floor (frames/s)`] = pipeline.framesPerSec / floor.framesPerSec;
      if (before !== undefined && floor !== undefined) ratios[`throughput ${shape} before/floor (frames/s)`] = before.framesPerSec / floor.framesPerSec;
    }
    if (outputs !== undefined) Object.assign(ratios, outputsRatios(outputs));
    const dedupIdle = results.find((r) => r.scenario.startsWith('dedup') && r.scenario.endsWith(', idle') && r.forwarder === 'pipeline');
    const idle = find('idle', 'pipeline');
    const dedup =
      dedupIdle === undefined || idle === undefined || lruAlone === undefined
        ? undefined
        : {
            keys: lruAlone.keys,
            rssMiB: dedupIdle.rssMiB,
            idleRssMiB: idle.rssMiB,
            lruAloneMiB: lruAlone.addedMiB,
            lruAloneLiveMiB: lruAlone.liveMiB,
            overheadMiB: dedupIdle.rssMiB - idle.rssMiB - lruAlone.addedMiB,
          };
    const report: BenchReport = {
      date: new Date().toISOString(),
      machine: { cpus: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      results,
      throughputRounds,
      ratios,
      ...(dedup === undefined ? {} : { dedup }),
      ...(perEvent.length === 0 ? {} : { perEvent }),
      ...(soak === undefined ? {} : { soak }),
      ...(outputs === undefined ? {} : { outputs }),
      ...(memory === undefined ? {} : { memory }),
      ...(nodeOptions.length === 0 ? {} : { collectorNodeOptions: nodeOptions }),
    };
    await writeFile(path.join(out, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(path.join(out, 'bench.svg'), renderChart(report));
    if (flags.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(`\n${report.machine.cores} × ${report.machine.cpus}, ${report.machine.memoryGiB} GiB, Node ${report.machine.node}\n`);
      console.log(resultsTable(results));
      for (const shape of shapes) {
        const mine = throughputRounds.filter((r) => r.shape === shape);
        if (mine.length < 2) continue;
        const percent = (x: number | undefined) => `${((x ?? NaN) * 100).toFixed(1)}%`;
        const peak = Math.max(...mine.map((r) => r.pipeline.peakRssMiB));
        console.log(
          `\nthroughput ${shape} rounds: pipeline/floor ${mine.map((r) => percent(r.ratio)).join(', ')}${beforeCli === undefined ? '' : `; before/floor ${mine.map((r) => percent(r.beforeRatio)).join(', ')}`} (the median round is in the table); pipeline peak RSS at most ${peak.toFixed(1)} MiB`,
        );
      }
      for (const [k, v] of Object.entries(ratios)) console.log(`\n${k}: ${(v * 100).toFixed(1)}%`);
      for (const shape of shapes) {
        const mine = perEvent.filter((r) => r.shape === shape);
        if (mine.length === 0) continue;
        const [after, before] = [mine.find((r) => r.build === 'pipeline'), mine.find((r) => r.build === 'before')];
        const describe = (r: PerEventResult | undefined) =>
          r === undefined ? '' : `${r.build} ${r.medianWallNs.toFixed(0)} ns wall, ${r.medianCpuNs.toFixed(0)} ns CPU`;
        console.log(
          `\nper event, in process, ${shape} (median of ${after?.wallNs.length ?? 0} runs): ${describe(after)}${before === undefined || after === undefined ? '' : `; ${describe(before)}: ${((1 - after.medianCpuNs / before.medianCpuNs) * 100).toFixed(1)}% less CPU`}`,
        );
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
        if (single !== undefined && multi !== undefined)
          console.log(
            `  idle RSS: ${single.rssMiB.toFixed(1)} MiB on one thread, ${multi.rssMiB.toFixed(1)} MiB with 3 workers: ${((multi.rssMiB - single.rssMiB) / 3).toFixed(1)} MiB per worker`,
          );
      }
      if (nodeOptions.length > 0) console.log(`\nthe collector ran with ${nodeOptions.join(' ')}`);
      if (outputs !== undefined) console.log(`\n${describeOutputs(outputs)}`);
      if (soak !== undefined) console.log(`\n${describeSoak(soak)}`);
      if (memory !== undefined)
        console.log(
          `\npeak RSS by configuration (held ${memory.plan.holdSeconds} s, ${memory.plan.rate} events/s a PoD service):\n${memoryTable(memory.rows, memory.fit)}`,
        );
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
