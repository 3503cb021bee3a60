import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { writeCertFiles } from '../helpers/certFiles';
import { expectedKeys, fixtureCasb, fixturePod, lineKey, SECRET_ENV, writeCollectorConfig } from '../helpers/collectorFixture';
import { CollectorProcess } from '../helpers/collectorProcess';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { sleep, waitFor } from '../helpers/waitFor';

async function rssMiB(pid: number): Promise<{ now: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024;
  return { now: kb('VmRSS'), peak: kb('VmHWM') };
}

describe('reliability: a slow Devo relay', function () {
  this.timeout(120_000);
  let pki: ThrowawayPki;

  before(async () => {
    pki = await sharedPki();
  });

  it('slows the sources down instead of buffering: bounded memory, nothing dropped', async () => {
    const { dir, remove } = await tempDir();
    const timeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1000 };
    // A flood: every PoD event available at once, and a CASB backlog.
    const pod = await fixturePod({ mode: 'blast', total: 20_000, timeline: { startTime: Date.now(), intervalMs: 1 } });
    const casb = await fixtureCasb({ mode: 'backlog', alerts: { timeline, total: 3000 }, events: { timeline, total: 3000 } });
    const relay = await RelayLog.start(pki, lineKey, 0, { readBytesPerSecond: 1024 * 1024 });
    let collector: CollectorProcess | undefined;
    try {
      await writeCertFiles(path.join(dir, 'certs'), pki);
      await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url, casbUrl: casb.url });
      collector = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: SECRET_ENV });
      await waitFor(() => relay.lines.length > 100, 'the first events', 30_000);
      await sleep(8000);
      const memory = await rssMiB(collector.pid);
      const podSent = pod.stats.eventsSent + pod.stats.duplicatesSent;
      const casbRequests = Object.values(casb.stats.requests).reduce((a, b) => a + b, 0);
      const delivered = relay.lines.length;
      // The relay reads 1 MiB/s: ~1 000 events/s of these sizes. The sources must not run ahead by
      // more than the pipeline's bounded buffers (valves, sort windows, socket buffers).
      expect(podSent - delivered).to.be.lessThan(30_000);
      expect(podSent).to.be.lessThan(40_000);
      expect(memory.peak).to.be.lessThan(250);
      // Now the relay is fast again (it restarts: a crash of the slow one); everything arrives.
      await relay.crashAndRestart(100, { readBytesPerSecond: 0 });
      const expected = expectedKeys(20_000, 3000, timeline);
      await waitFor(() => relay.unique >= expected.size, 'every event', 90_000);
      collector.kill('SIGTERM');
      expect((await collector.exited).code).to.equal(0);
      expect(new Set(relay.counts.keys())).to.deep.equal(expected);
      console.log(
        `      slow relay (1 MiB/s, 8 s): delivered ${delivered}, PoD frames sent ${podSent} of ${2 * 20_000}, CASB requests ${casbRequests}; collector RSS ${memory.now.toFixed(0)} MiB (peak ${memory.peak.toFixed(0)} MiB); then all ${expected.size} events, lost 0`,
      );
    } finally {
      await collector?.dispose();
      await pod.stop();
      await casb.stop();
      await relay.stop();
      await remove();
    }
  });
});
