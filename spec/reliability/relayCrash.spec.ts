import { expect } from 'chai';
import * as path from 'node:path';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { writeCertFiles } from '../helpers/certFiles';
import { expectedKeys, fixtureCasb, fixturePod, lineKey, SECRET_ENV, writeCollectorConfig } from '../helpers/collectorFixture';
import { CollectorProcess } from '../helpers/collectorProcess';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { waitFor } from '../helpers/waitFor';

describe('reliability: the Devo relay dies mid-stream', function () {
  this.timeout(120_000);
  let pki: ThrowawayPki;

  before(async () => {
    pki = await sharedPki();
  });

  it('loses nothing when the relay is killed and restarted on the same port, three times', async () => {
    const { dir, remove } = await tempDir();
    const timeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1000 };
    const pod = await fixturePod({ rate: 500, total: 5000, duplicateRate: 0.01 });
    const casb = await fixtureCasb({ mode: 'backlog', alerts: { timeline, total: 1500 }, events: { timeline, total: 1500 } });
    const relay = await RelayLog.start(pki, lineKey);
    let collector: CollectorProcess | undefined;
    try {
      await writeCertFiles(path.join(dir, 'certs'), pki);
      await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url, casbUrl: casb.url });
      collector = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: SECRET_ENV });
      const expected = expectedKeys(5000, 1500, timeline);
      for (const at of [0.2, 0.4, 0.6]) {
        await waitFor(() => relay.unique >= expected.size * at, `${at * 100}% of the events`, 60_000);
        await relay.crashAndRestart(300);
      }
      await waitFor(() => relay.unique >= expected.size, 'every event', 60_000);
      collector.kill('SIGTERM');
      expect((await collector.exited).code).to.equal(0);
      expect(new Set(relay.counts.keys())).to.deep.equal(expected);
      expect(collector.stdout).to.match(/Re-sending the last \d+ bytes written on the lost connection/);
      console.log(`      relay crashes: 3; events ${expected.size}; lost 0; re-delivered ${relay.duplicates} (the sender's resend window after each crash)`);
      // Each crash re-sends at most the 8 MiB resend window, a few thousand of these lines.
      expect(relay.duplicates).to.be.at.most(3 * Math.ceil((8 * 1024 * 1024) / 700));
    } finally {
      await collector?.dispose();
      await pod.stop();
      await casb.stop();
      await relay.stop();
      await remove();
    }
  });
});
