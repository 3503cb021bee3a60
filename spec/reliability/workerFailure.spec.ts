import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadConfig } from '../../lib/config/loadConfig';
import { createLogger } from '../../lib/log/logger';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { defaultServices } from '../../pipelines/runtime/defaultServices';
import { startRuntime } from '../../pipelines/runtime/runner';
import type { RunnerInternals, RuntimeCollector as Collector } from '../../pipelines/runtime/runnerInternals';
import { writeCertFiles } from '../helpers/certFiles';
import { committedKeys, expectedKeys, fixtureCasb, fixturePod, lineKey, parentKey, SECRET_ENV, writeCollectorConfig } from '../helpers/collectorFixture';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { waitFor } from '../helpers/waitFor';

describe('multiprocessing: true (a worker thread per service)', function () {
  this.timeout(120_000);
  let pki: ThrowawayPki;

  before(async () => {
    pki = await sharedPki();
  });

  /** Starts a `multiprocessing: true` collector on the fixture's config, its log lines in `lines`. */
  async function startWorkers(
    dir: string,
    urls: { relayPort: number; podUrl: string; casbUrl?: string },
    lines: string[],
    deps: Partial<RunnerInternals>,
  ): Promise<Collector> {
    await writeCertFiles(path.join(dir, 'certs'), pki);
    await writeCollectorConfig(dir, { ...urls, stateDirectory: path.join(dir, 'state'), multiprocessing: true });
    const config = await loadConfig(path.join(dir, 'config.yaml'), { env: SECRET_ENV, baseDir: dir });
    return startRuntime(config, {
      logger: createLogger({ write: (l) => lines.push(l) }),
      services: defaultServices,
      writeLine: (l) => lines.push(l),
      workerTestHooks: true,
      senderTuning: { confirmAfterMs: 500 },
      ...deps,
    });
  }

  /** Every PoD service of the fixture persisted a clean stop. */
  async function expectCleanStops(state: string): Promise<void> {
    for (const service of ['message', 'maillog']) {
      const saved = JSON.parse(await readFile(path.join(state, `proofpoint_on_demand-7-${service}.json`), 'utf8')) as { state: { cleanStop: boolean } };
      expect(saved.state.cleanStop, service).to.equal(true);
    }
  }

  it('runs each service in its own worker; a failing worker (a throw, its heap exhausted) is restarted while the others go on, losing nothing', async () => {
    const { dir, remove } = await tempDir();
    const total = 6000;
    const timeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1000 };
    const pod = await fixturePod({ rate: 600, total, duplicateRate: 0 });
    const casb = await fixtureCasb({ mode: 'backlog', alerts: { timeline, total: 100 }, events: { timeline, total: 100 } });
    const relay = await RelayLog.start(pki, lineKey);
    const lines: string[] = [];
    let collector: Collector | undefined;
    try {
      const state = path.join(dir, 'state');
      collector = await startWorkers(dir, { relayPort: relay.port, podUrl: pod.url, casbUrl: casb.url }, lines, {
        workerResourceLimits: { maxOldGenerationSizeMb: 96 },
      });
      expect(collector.services).to.deep.equal(['pod/message', 'pod/maillog', 'casb/alerts', 'casb/events']);
      const tagged = (tag: string) => relay.lines.filter((l) => l.tag === tag).length;
      await waitFor(() => tagged('mail.proofpoint.pod.message') >= total * 0.3, 'some message events', 30_000);
      // The workers' log lines come through in the seeds' shape.
      expect(lines.some((l) => / INFO InputProcess::PodPuller\(proofpoint_on_demand,7,message,predefined\) -> Connected to the PoD Log API/.test(l))).to.equal(
        true,
      );

      // 1. An uncaught exception in the message worker.
      collector.failWorker!('pod/message', 'throw');
      await waitFor(
        () => lines.some((l) => /Service worker pod\/message \(pod\/message\) failed: .*test hook: an uncaught exception.*Restarting it in 1 s/.test(l)),
        'the failure, logged',
      );
      const uncommittedAt = async () => {
        const committed = await committedKeys(state);
        return [...relay.counts.keys()].filter((k) => !committed.has(parentKey(k))).length;
      };
      let bound = await uncommittedAt();
      const maillogBefore = tagged('mail.proofpoint.pod.maillog');
      // The others go on while it is down (its back-off is 1 s).
      await waitFor(() => tagged('mail.proofpoint.pod.maillog') > maillogBefore + 100, 'maillog going on');
      expect(collector.telemetry.services.find((s) => s.name === 'pod/maillog')!.state).to.equal('running');

      // 2. The maillog worker runs out of heap (96 MiB old generation).
      await waitFor(() => tagged('mail.proofpoint.pod.maillog') >= total * 0.5, 'half of maillog', 30_000);
      collector.failWorker!('pod/maillog', 'oom');
      await waitFor(
        () => lines.some((l) => /Service worker pod\/maillog \(pod\/maillog\) failed: .*(heap|memory).*Restarting it in 1 s/i.test(l)),
        'the out-of-memory failure, logged',
        30_000,
      );
      bound += await uncommittedAt();

      const expected = expectedKeys(total, 100, timeline);
      await waitFor(() => relay.unique >= expected.size, 'every event', 60_000);
      expect(new Set(relay.counts.keys())).to.deep.equal(expected);
      expect(relay.duplicates).to.be.at.most(bound);
      await waitFor(() => collector!.telemetry.services.every((s) => s.state === 'running'), 'every worker running again');
      // The counters go on across a restart, none missing: the worker that threw posted its last
      // figures as it died (a worker out of heap cannot: its last second may be missing). The
      // workers post theirs every second: the last events reach the main thread's figures within it.
      const sent = () => collector!.telemetry.status().services.find((s) => s.name === 'pod/message')!.counters.sent;
      await waitFor(() => sent() >= total, 'every message event counted as sent', 5_000).catch(() => undefined);
      expect(sent()).to.be.within(total, total + relay.duplicates);

      await collector.stop();
      await expectCleanStops(state);
      console.log(`      workers: ${expected.size} events, 2 worker failures, lost 0, ${relay.duplicates} re-delivered (bound ${bound})`);
    } finally {
      await collector?.stop();
      await pod.stop();
      await casb.stop();
      await relay.stop();
      await remove();
    }
  });

  it('without workerResourceLimits, each worker has a heap limit from its config: one that exhausts it is restarted, and the process lives on', async () => {
    const { dir, remove } = await tempDir();
    const pod = await fixturePod({ rate: 300, total: 2000, duplicateRate: 0 });
    const relay = await RelayLog.start(pki, lineKey);
    const lines: string[] = [];
    let collector: Collector | undefined;
    try {
      await writeCertFiles(path.join(dir, 'certs'), pki);
      await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url, stateDirectory: path.join(dir, 'state'), multiprocessing: true });
      const loaded = await loadConfig(path.join(dir, 'config.yaml'), { env: SECRET_ENV, baseDir: dir });
      // A small window and 1 MiB events: a 120 MiB heap (96 + 16 + 8 x 1), quick to exhaust.
      const MIB = 1024 * 1024;
      const config = { ...loaded, pod: { ...loaded.pod!, services: loaded.pod!.services.map((s) => ({ ...s, dedupMaxBytes: 16 * MIB, maxEventBytes: MIB })) } };
      collector = await startRuntime(config, {
        logger: createLogger({ write: (l) => lines.push(l) }),
        services: defaultServices,
        writeLine: (l) => lines.push(l),
        workerTestHooks: true,
        senderTuning: { confirmAfterMs: 500 },
      });
      await waitFor(() => relay.unique >= 200, 'some events', 30_000);
      collector.failWorker!('pod/message', 'oom');
      await waitFor(
        () => lines.some((l) => /Service worker pod\/message \(pod\/message\) failed: .*(heap|memory).*Restarting it in 1 s/i.test(l)),
        'the out-of-memory failure, logged',
        60_000,
      );
      await waitFor(() => collector!.telemetry.services.every((s) => s.state === 'running'), 'every worker running again', 30_000);
      await waitFor(() => relay.unique >= 4000, 'every event', 60_000);
      await collector.stop();
    } finally {
      await collector?.stop();
      await pod.stop();
      await relay.stop();
      await remove();
    }
  });
});
