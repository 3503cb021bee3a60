import { expect } from 'chai';
import * as path from 'node:path';
import { loadConfig } from '../../../lib/config/loadConfig';
import { workUnits } from '../../../pipelines/runtime/workUnits';
import { writeCertFiles } from '../../helpers/certFiles';
import { SECRET_ENV, writeCollectorConfig } from '../../helpers/collectorFixture';
import { sharedPki } from '../../helpers/pki';
import { tempDir } from '../../helpers/tempDir';

describe('workUnits (how multiprocessing: true splits a config over worker threads)', () => {
  it('gives each PoD service a worker and the CASB input one, each a single-thread config with its share of the queue limits and no HTTP endpoint', async () => {
    const { dir, remove } = await tempDir();
    try {
      await writeCertFiles(path.join(dir, 'certs'), await sharedPki());
      await writeCollectorConfig(dir, { relayPort: 1, podUrl: 'ws://127.0.0.1:1', casbUrl: 'http://127.0.0.1:1', multiprocessing: true });
      const loaded = await loadConfig(path.join(dir, 'config.yaml'), { env: SECRET_ENV, baseDir: dir });
      const config = { ...loaded, httpServer: { address: '127.0.0.1', port: 9464 }, inFlight: { maxEvents: 4000, maxBytes: 4_000_000 } };
      const units = workUnits(config);
      expect(units.map((u) => [u.name, u.services])).to.deep.equal([
        ['pod/message', ['pod/message']],
        ['pod/maillog', ['pod/maillog']],
        ['casb/3', ['casb/alerts', 'casb/events']],
      ]);
      for (const unit of units) {
        expect(unit.config.collector.multiprocessing, unit.name).to.equal(false);
        expect(unit.config.httpServer, unit.name).to.equal(undefined);
        expect(unit.config.output).to.equal(config.output);
      }
      expect(units[0]!.config.pod!.services.map((s) => s.name)).to.deep.equal(['message']);
      expect(units[0]!.config.casb).to.equal(undefined);
      expect(units[2]!.config.pod).to.equal(undefined);
      // Four services: a PoD worker holds a quarter of the limits, the CASB one half.
      expect(units.map((u) => u.config.inFlight.maxEvents)).to.deep.equal([1000, 1000, 2000]);
      expect(units.map((u) => u.config.inFlight.maxBytes)).to.deep.equal([1_000_000, 1_000_000, 2_000_000]);
      expect(workUnits({ ...config, casb: { ...config.casb!, enabled: false } }).map((u) => u.name)).to.deep.equal(['pod/message', 'pod/maillog']);
    } finally {
      await remove();
    }
  });
});
