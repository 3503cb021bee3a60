import { expect } from 'chai';
import * as path from 'node:path';
import { PodSimulator } from '../lib/api/simulators';
import { createLogger, defaultServices, loadConfig, startCollector } from '../lib/index';
import { writeCertFiles } from './helpers/certFiles';
import { expectedKeys, lineKey, SECRET_ENV, SECRETS, writeCollectorConfig } from './helpers/collectorFixture';
import { sharedPki } from './helpers/pki';
import { RelayLog } from './helpers/relayLog';
import { tempDir } from './helpers/tempDir';
import { waitFor } from './helpers/waitFor';

describe('the library API (embedded in a Node application)', function () {
  this.timeout(30_000);

  it('loads a config, runs the collector in-process and stops it cleanly, as docs/running.md shows', async () => {
    const pki = await sharedPki();
    const { dir, remove } = await tempDir();
    const pod = await PodSimulator.start({ token: SECRETS.podToken, clusterId: 'acme', types: ['message', 'maillog'], rate: 500, total: 500 });
    const relay = await RelayLog.start(pki, lineKey);
    try {
      await writeCertFiles(path.join(dir, 'certs'), pki);
      await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url, stateDirectory: path.join(dir, 'state') });
      const config = await loadConfig(path.join(dir, 'config.yaml'), { env: SECRET_ENV, baseDir: dir });
      const lines: string[] = [];
      const collector = await startCollector(config, { logger: createLogger({ write: (l) => lines.push(l) }), services: defaultServices });
      expect(collector.services).to.deep.equal(['pod/message', 'pod/maillog']);
      await waitFor(() => relay.unique >= 1000, 'every event', 20_000);
      await collector.stop();
      await collector.done;
      expect(new Set(relay.counts.keys())).to.deep.equal(expectedKeys(500, 0));
      expect(lines.some((l) => l.endsWith('-> Stopped'))).to.equal(true);
    } finally {
      await pod.stop();
      await relay.stop();
      await remove();
    }
  });
});
