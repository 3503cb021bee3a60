import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { BenchReport } from '../../bench/run';
import { tempDir } from '../helpers/tempDir';

describe('npm run bench (a small run)', function () {
  this.timeout(90_000);

  it('measures the pipeline against the floor, each event size on its own, and writes its JSON and chart', async () => {
    const { dir, remove } = await tempDir();
    try {
      const script = path.join(__dirname, '..', '..', 'bench', 'run.js');
      const { stdout } = await promisify(execFile)(process.execPath, [script, '--n', '3000', '--rounds', '2', '--shapes', 'maillog,message-3k', '--scenarios', 'throughput,idle,per-event', '--json', '--out', dir], {
        maxBuffer: 4 << 20,
      });
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
        expect(perEvent.wallNs.every((ns) => ns > 0 && Number.isFinite(ns)), shape).to.equal(true);
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
      const { stdout } = await promisify(execFile)(process.execPath, [script, '--workers-n', '2000', '--idle-seconds', '2', '--scenarios', 'workers', '--json', '--out', dir], {
        maxBuffer: 1 << 20,
      });
      const report = JSON.parse(stdout) as BenchReport;
      const runs = report.results.filter((r) => r.scenario.startsWith('workers:'));
      expect(runs.map((r) => r.scenario)).to.deep.equal([
        'workers: 3 services, multiprocessing false',
        'workers: 3 services, multiprocessing true',
      ]);
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
});
