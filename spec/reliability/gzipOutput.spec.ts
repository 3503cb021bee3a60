import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadConfig } from '../../lib/config/loadConfig';
import type { CollectorStatus } from '../../lib/telemetry/collectorTelemetry';
import { createLogger } from '../../lib/log/logger';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { defaultServices } from '../../pipelines/runtime/defaultServices';
import { startCollector, type Collector } from '../../pipelines/runtime/runner';
import { writeCertFiles } from '../helpers/certFiles';
import { expectedKeys, fixturePod, lineKey, SECRET_ENV, writeCollectorConfig } from '../helpers/collectorFixture';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { waitFor } from '../helpers/waitFor';

const EVENTS = 3000;

describe('reliability: a devo_platform output with gzip compression (globals.devo_sender_threshold_for_using_gzip_in_transport_layer)', function () {
  this.timeout(90_000);
  let pki: ThrowawayPki;

  before(async () => {
    pki = await sharedPki();
  });

  /**
   * Runs a collector against a PoD simulator and a relay, with `globals` lines added, until `during` is done and every event arrived,
   * then `after` (the collector still running, its HTTP endpoint at `base`).
   */
  async function run(
    globals: string,
    during: (relay: RelayLog) => Promise<void>,
    multiprocessing = false,
    after: (relay: RelayLog, base: string) => Promise<void> = async () => undefined,
  ): Promise<RelayLog> {
    const { dir, remove } = await tempDir();
    const pod = await fixturePod({ rate: 1500, total: EVENTS });
    const relay = await RelayLog.start(pki, lineKey);
    let collector: Collector | undefined;
    try {
      await writeCertFiles(path.join(dir, 'certs'), pki);
      await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url, stateDirectory: path.join(dir, 'state'), multiprocessing });
      const file = path.join(dir, 'config.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('  name: fixture\n', `  name: fixture\n${globals}`));
      const config = await loadConfig(file, { env: SECRET_ENV, baseDir: dir });
      collector = await startCollector(config, {
        logger: createLogger({ write: () => undefined }),
        writeLine: () => undefined,
        services: defaultServices,
        senderTuning: { backoffInitialMs: 50, backoffMaxMs: 200, confirmAfterMs: 500 },
        stopTimeoutMs: 2000,
        http: { address: '127.0.0.1', port: 0 },
      });
      await during(relay);
      const expected = expectedKeys(EVENTS, 0);
      await waitFor(() => relay.unique >= expected.size, 'every event at the relay', 60_000);
      expect([...expected].filter((k) => !relay.counts.has(k))).to.deep.equal([]);
      expect(relay.malformed).to.deep.equal([]);
      await after(relay, collector.httpUrl!);
      return relay;
    } finally {
      await collector?.stop();
      await relay.stop();
      await pod.stop();
      await remove();
    }
  }

  for (const multiprocessing of [false, true]) {
    it(`threshold -1: every event arrives intact through a relay crash mid-stream (0 lost; the re-sent members decode), fewer bytes on the wire than inflated${multiprocessing ? ' (multiprocessing: true)' : ''}`, async () => {
      const relay = await run(
        '  devo_sender_threshold_for_using_gzip_in_transport_layer: -1\n',
        async (r) => {
          await waitFor(() => r.unique > EVENTS / 2, 'half of the events', 30_000);
          await r.crashAndRestart(300);
        },
        multiprocessing,
      );
      const { wire, inflated } = relay.bytes;
      expect(wire).to.be.lessThan(inflated / 2);
      console.log(
        `      ${2 * EVENTS} PoD events (${relay.duplicates} re-sent after the crash): ${inflated} bytes of lines, ${wire} on the wire (ratio ${(inflated / wire).toFixed(1)}:1)`,
      );
    });
  }

  for (const multiprocessing of [false, true]) {
    it(`/status and /metrics: the output's bytes on the wire and before compression, equal to what the relay read and inflated${multiprocessing ? ' (multiprocessing: true)' : ''}`, async () => {
      const counted = async (base: string) => {
        const status = (await (await fetch(`${base}/status`)).json()) as CollectorStatus;
        const metrics = await (await fetch(`${base}/metrics`)).text();
        const metric = (name: string) => Number(new RegExp(`^proofpoint_devo_${name}\\{output="devo_1"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
        return { status: status.outputs[0]!, written: metric('sender_bytes_written_total'), uncompressed: metric('sender_bytes_uncompressed_total') };
      };
      await run(
        '  devo_sender_threshold_for_using_gzip_in_transport_layer: -1\n',
        async () => undefined,
        multiprocessing,
        async (relay, base) => {
          // No crash: every byte went once. The counts reach /status (from a worker: with its next snapshot) soon after the relay read them.
          const deadline = Date.now() + 10_000;
          while ((await counted(base)).uncompressed !== relay.bytes.inflated && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
          const { status, written, uncompressed } = await counted(base);
          expect(status).to.include({ name: 'devo_1', bytesWritten: relay.bytes.wire, bytesUncompressed: relay.bytes.inflated });
          expect({ written, uncompressed }).to.deep.equal({ written: relay.bytes.wire, uncompressed: relay.bytes.inflated });
          expect(written).to.be.lessThan(uncompressed / 2);
        },
      );
    });
  }

  it('threshold 1.1 (the default): the lines go as they are, the bytes on the wire are the lines', async () => {
    const relay = await run('', async () => undefined);
    const { wire, inflated } = relay.bytes;
    expect(wire).to.equal(inflated);
    expect(wire).to.equal(relay.lines.reduce((n, l) => n + Buffer.byteLength(l.line) + 1, 0));
  });
});
