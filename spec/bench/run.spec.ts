import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { MemoryRow } from '../../bench/benchMemory';
import type { BenchReport } from '../../bench/run';
import { tempDir } from '../helpers/tempDir';

describe('npm run bench (a small run)', function () {
  this.timeout(90_000);

  it('measures the pipeline against the floor, each event size on its own, and writes its JSON and chart', async () => {
    const { dir, remove } = await tempDir();
    try {
      const script = path.join(__dirname, '..', '..', 'bench', 'run.js');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [script, '--n', '3000', '--rounds', '2', '--shapes', 'maillog,message-3k', '--scenarios', 'throughput,idle,per-event', '--json', '--out', dir],
        {
          maxBuffer: 4 << 20,
        },
      );
      const report = JSON.parse(stdout) as BenchReport;
      for (const shape of ['maillog', 'message-3k']) {
        const scenario = `throughput ${shape}`;
        const pipeline = report.results.find((r) => r.scenario === scenario && r.forwarder === 'pipeline')!;
        const floor = report.results.find((r) => r.scenario === scenario && r.forwarder === 'floor')!;
        // The pipeline delivers each event once; the floor forwards every frame, the 1% re-sent ones too.
        expect(pipeline.eventsReceived, scenario).to.equal(3000);
        expect(floor.eventsReceived, scenario).to.equal(3030);
        expect(pipeline.framesPerSec, scenario).to.be.greaterThan(0);
        expect(pipeline.peakRssMiB, scenario).to.be.greaterThan(20);
        expect(report.ratios[`${scenario} pipeline/floor (frames/s)`]).to.be.closeTo(pipeline.framesPerSec / floor.framesPerSec, 1e-9);
        // Two rounds, each ratio from its own pair; the table's row is the lower median of them.
        const rounds = report.throughputRounds.filter((r) => r.shape === shape);
        expect(rounds, scenario).to.have.length(2);
        for (const round of rounds) {
          expect(round.pipeline.eventsReceived).to.equal(3000);
          expect(round.ratio).to.be.closeTo(round.pipeline.framesPerSec / round.floor.framesPerSec, 1e-9);
        }
        expect(report.ratios[`${scenario} pipeline/floor (frames/s)`]).to.equal(Math.min(...rounds.map((r) => r.ratio)));
      }
      // Event sizes differ as the scenarios say: a maillog frame is a fraction of a 3 KB message's bytes.
      const mibPerFrame = (shape: string) => {
        const floor = report.results.find((r) => r.scenario === `throughput ${shape}` && r.forwarder === 'floor')!;
        return floor.mibPerSec / floor.framesPerSec;
      };
      expect(mibPerFrame('maillog') / mibPerFrame('message-3k')).to.be.within(0.1, 0.4);
      expect(report.results.find((r) => r.scenario === 'idle')!.rssMiB).to.be.greaterThan(20);
      // The pipeline alone, in process: five runs a shape (too few events here for the figures to mean much), the median kept.
      for (const shape of ['maillog', 'message-3k']) {
        const perEvent = report.perEvent!.find((r) => r.shape === shape && r.build === 'pipeline')!;
        expect(perEvent.cpuNs, shape).to.have.length(5);
        expect(
          perEvent.wallNs.every((ns) => ns > 0 && Number.isFinite(ns)),
          shape,
        ).to.equal(true);
        expect(perEvent.medianCpuNs).to.equal([...perEvent.cpuNs].sort((a, b) => a - b)[2]);
      }
      expect(JSON.parse(await readFile(path.join(dir, 'bench.json'), 'utf8'))).to.deep.equal(report);
      const svg = await readFile(path.join(dir, 'bench.svg'), 'utf8');
      expect(svg).to.match(/^<svg [\s\S]*Throughput[\s\S]*<\/svg>\n$/);
      for (const label of ['>maillog<', '>message-3k<', 'target 0.8', '>idle<']) expect(svg).to.include(label);
    } finally {
      await remove();
    }
  });

  it('measures multiprocessing: three services on one thread and on three workers, and the memory of a worker', async () => {
    const { dir, remove } = await tempDir();
    try {
      const script = path.join(__dirname, '..', '..', 'bench', 'run.js');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [script, '--workers-n', '2000', '--idle-seconds', '2', '--scenarios', 'workers', '--json', '--out', dir],
        {
          maxBuffer: 1 << 20,
        },
      );
      const report = JSON.parse(stdout) as BenchReport;
      const runs = report.results.filter((r) => r.scenario.startsWith('workers:'));
      expect(runs.map((r) => r.scenario)).to.deep.equal(['workers: 3 services, multiprocessing false', 'workers: 3 services, multiprocessing true']);
      for (const r of runs) {
        expect(r.eventsReceived, r.scenario).to.equal(6000);
        expect(r.cpuPerWallSecond, r.scenario).to.be.greaterThan(0);
        expect(r.busiestThreadShare, r.scenario).to.be.within(0.01, 1);
      }
      const idle = report.results.filter((r) => r.scenario.startsWith('idle, 3 services'));
      expect(idle).to.have.length(2);
      // A worker thread costs memory of its own: three of them are more than one thread.
      expect(idle[1]!.rssMiB).to.be.greaterThan(idle[0]!.rssMiB);
    } finally {
      await remove();
    }
  });
  it('outputs: the same blast to one output and to two, CPU per event of each, their ratio, every event once at each receiver', async () => {
    const { dir, remove } = await tempDir();
    try {
      const script = path.join(__dirname, '..', '..', 'bench', 'run.js');
      const args = [script, '--n', '2000', '--rounds', '1', '--shapes', 'maillog', '--scenarios', 'outputs', '--json', '--out', dir];
      const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 4 << 20 });
      const report = JSON.parse(stdout) as BenchReport;
      const [round] = report.outputs!;
      expect(report.outputs).to.have.length(1);
      expect(round!.shape).to.equal('maillog');
      // Two receivers, each with every event once (the 1% the source sends twice de-duplicated).
      expect(round!.one.eventsReceived).to.equal(2000);
      expect(round!.one).not.to.have.property('eventsByOutput');
      expect(round!.two.eventsByOutput).to.deep.equal([2000, 2000]);
      expect(round!.everyEventOnce).to.equal(true);
      expect(round!.one.cpuMicrosPerEvent).to.be.greaterThan(0);
      expect(round!.ratio).to.be.closeTo(round!.two.cpuMicrosPerEvent / round!.one.cpuMicrosPerEvent, 1e-9);
      expect(report.ratios['outputs maillog 2 outputs/1 output (CPU per event)']).to.equal(round!.ratio);
      expect(report.results.map((r) => r.scenario)).to.deep.equal(['outputs maillog: 1 output', 'outputs maillog: 2 outputs']);
    } finally {
      await remove();
    }
  });

  it('soaks: RSS sampled every second over the run, a mean per window, and the last window against the second', async () => {
    const { dir, remove } = await tempDir();
    try {
      const script = path.join(__dirname, '..', '..', 'bench', 'run.js');
      // 12 s at 2 000 events/s in 3 s windows (the real soak: 600 s at 5 000/s in minutes), a small window preloaded.
      const args = [
        '--scenarios',
        'soak',
        '--soak-seconds',
        '12',
        '--soak-rate',
        '2000',
        '--soak-window-seconds',
        '3',
        '--soak-preload-keys',
        '5000',
        '--json',
        '--out',
        dir,
      ];
      const { stdout } = await promisify(execFile)(process.execPath, [script, ...args], { maxBuffer: 4 << 20 });
      const report = JSON.parse(stdout) as BenchReport;
      const soak = report.soak!;
      expect(soak).to.include({ seconds: 12, rate: 2000, preloadKeys: 5000, sampleEveryMs: 1000, windowSeconds: 3, tolerance: 0.05 });
      // One sample a second from the session's start to the last event (a little drain at the end).
      expect(soak.samplesMiB.length).to.be.within(11, 16);
      expect(soak.samplesMiB.every((mib) => mib > 20 && mib < 2048)).to.equal(true);
      const windows = Math.floor(soak.samplesMiB.length / 3);
      expect(soak.windowMeansMiB).to.have.length(windows);
      const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      soak.windowMeansMiB.forEach((m, i) => expect(m).to.be.closeTo(mean(soak.samplesMiB.slice(3 * i, 3 * i + 3)), 1e-9));
      expect(soak.secondWindowMeanMiB).to.equal(soak.windowMeansMiB[1]);
      expect(soak.lastWindowMeanMiB).to.equal(soak.windowMeansMiB[windows - 1]);
      expect(soak.growth).to.be.closeTo(soak.lastWindowMeanMiB / soak.secondWindowMeanMiB - 1, 1e-12);
      expect(soak.pass).to.equal(Math.abs(soak.growth) <= 0.05);
      // Its row in the table: every event delivered once, the samples only in `soak`.
      const row = report.results.find((r) => r.scenario === 'soak 12 s @2000/s')!;
      expect(row.eventsReceived).to.equal(24_000);
      expect(row).not.to.have.property('rssSamplesMiB');
    } finally {
      await remove();
    }
  });

  it('tables peak RSS by configuration: services, multiprocessing, a full de-dup window, a stalled Devo; and fits a formula', async () => {
    const { dir, remove } = await tempDir();
    try {
      const script = path.join(__dirname, '..', '..', 'bench', 'run.js');
      const args = [
        '--scenarios',
        'memory',
        '--memory-hold-seconds',
        '3',
        '--memory-services',
        '1',
        '--memory-dedup',
        '16',
        '--memory-queue',
        '16',
        '--json',
        '--out',
        dir,
      ];
      const { stdout } = await promisify(execFile)(process.execPath, [script, ...args], { maxBuffer: 4 << 20 });
      const { rows, fit } = (JSON.parse(stdout) as BenchReport).memory!;
      expect(rows.map((r) => r.label)).to.deep.equal([
        '1 service (1 PoD), multiprocessing false',
        '1 service (1 PoD), multiprocessing true',
        '1 PoD service, de-dup window 16 MiB full',
        '1 PoD service, Devo stalled, queue 16 MiB',
      ]);
      const [single, worker, dedup, stalled] = rows as [MemoryRow, MemoryRow, MemoryRow, MemoryRow];
      for (const r of rows) expect(r.peakRssMiB, r.label).to.be.greaterThan(20).and.at.least(r.rssMiB);
      // Events flowed, except into the Devo that stopped reading.
      expect(single.eventsDelivered).to.be.greaterThan(0);
      expect(stalled.eventsDelivered).to.equal(0);
      expect(stalled).to.include({ devoStalled: true, queueMaxMiB: 16, queueMaxMessages: 100_000 });
      // 16 MiB of de-dup keys, and a worker thread, cost memory of their own.
      expect(dedup).to.include({ dedupMaxMiB: 16, dedupFilledMiB: 16 });
      expect(dedup.peakRssMiB).to.be.greaterThan(single.peakRssMiB + 8);
      expect(worker.peakRssMiB).to.be.greaterThan(single.peakRssMiB);
      expect(fit.baseMiB).to.equal(single.peakRssMiB);
      expect(fit.perWorkerMiB).to.be.closeTo(worker.peakRssMiB - single.peakRssMiB, 1e-9);
      expect(fit.perDedupMiB).to.be.closeTo((dedup.peakRssMiB - single.peakRssMiB) / (16 - single.dedupFilledMiB), 1e-9);
      expect(fit.stalledDevoMiB).to.be.closeTo(stalled.peakRssMiB - single.peakRssMiB, 1e-9);
      const table = await readFile(path.join(dir, 'memory.md'), 'utf8');
      for (const r of rows) expect(table).to.include(`| ${r.label} |`);
      expect(table).to.match(/peak RSS ≈ [\d.]+ MiB \+/);
    } finally {
      await remove();
    }
  });
});
