import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { loadConfig } from '../../lib/config/loadConfig';
import { createLogger } from '../../lib/log/logger';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import type { CollectorStatus } from '../../lib/telemetry/collectorTelemetry';
import { defaultServices } from '../../pipelines/runtime/defaultServices';
import { startCollector, type Collector } from '../../pipelines/runtime/runner';
import { writeCertFiles } from '../helpers/certFiles';
import { expectedKeys, fixtureCasb, fixturePod, lineKey, SECRET_ENV, SECRETS, writeCollectorConfig } from '../helpers/collectorFixture';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { waitFor } from '../helpers/waitFor';

/** Sums a metric's samples (all label sets) in a Prometheus text exposition, optionally filtered by a label. */
function sum(text: string, name: string, label?: [string, string]): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? ([0-9.e+-]+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    if (label !== undefined && !(m[2] ?? '').includes(`${label[0]}="${label[1]}"`)) continue;
    total += Number(m[3]);
  }
  return total;
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

describe('the HTTP endpoint: /metrics, /health, /ready, /status (a collector against the simulators)', function () {
  this.timeout(90_000);
  let pki: ThrowawayPki;

  before(async () => {
    pki = await sharedPki();
  });

  it('counts what the receiver got, passes promtool, flips /ready with the relay, and shows no secret', async () => {
    const { dir, remove } = await tempDir();
    const timeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1000 };
    const pod = await fixturePod({ rate: 500, total: 500, duplicateRate: 0.02 });
    const casb = await fixtureCasb({ mode: 'backlog', alerts: { timeline, total: 120 }, events: { timeline, total: 120 }, rateLimitEvery: 9 });
    let relay = await RelayLog.start(pki, lineKey);
    const port = relay.port;
    let collector: Collector | undefined;
    try {
      await writeCertFiles(path.join(dir, 'certs'), pki);
      await writeCollectorConfig(dir, { relayPort: port, podUrl: pod.url, casbUrl: casb.url, stateDirectory: path.join(dir, 'state') });
      const config = await loadConfig(path.join(dir, 'config.yaml'), { env: SECRET_ENV, baseDir: dir });
      collector = await startCollector(config, {
        logger: createLogger({ write: () => undefined }),
        services: defaultServices,
        http: { address: '127.0.0.1', port: 0 },
        readinessGraceMs: 1500,
        senderTuning: { idleProbeMs: 500, backoffMaxMs: 500 },
      });
      const base = collector.httpUrl!;
      const expected = expectedKeys(500, 120, timeline);
      await waitFor(() => relay.unique >= expected.size, 'every event at the relay', 40_000);

      // Sent counts what the relay confirmed reading: it catches up with the relay within the confirm period.
      let metrics = '';
      for (const deadline = Date.now() + 20_000; ;) {
        metrics = (await get(`${base}/metrics`)).text;
        if (sum(metrics, 'proofpoint_devo_events_sent_total') >= relay.lines.length || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(sum(metrics, 'proofpoint_devo_events_sent_total')).to.equal(relay.lines.length);
      expect(sum(metrics, 'proofpoint_devo_bytes_sent_total')).to.equal(relay.lines.reduce((n, l) => n + Buffer.byteLength(l.line) + 1, 0));
      for (const [service, tag] of [
        ['message', 'mail.proofpoint.pod.message'],
        ['alerts', 'casb.proofpoint.alert'],
        ['events', 'casb.proofpoint.event'],
      ] as const) {
        expect(sum(metrics, 'proofpoint_devo_events_sent_total', ['service', service]), service).to.equal(relay.lines.filter((l) => l.tag === tag).length);
      }
      const podStats = pod.stats;
      expect(sum(metrics, 'proofpoint_devo_events_received_total', ['input', 'proofpoint_on_demand'])).to.equal(podStats.framesSent);
      expect(sum(metrics, 'proofpoint_devo_events_duplicate_total', ['input', 'proofpoint_on_demand'])).to.equal(podStats.duplicatesSent);
      expect(sum(metrics, 'proofpoint_devo_source_requests_total', ['outcome', '101'])).to.equal(podStats.sessions);
      expect(sum(metrics, 'proofpoint_devo_casb_rate_limited_total')).to.equal(casb.stats.rateLimited);
      // Connected now or not (an idle connection closes), it connected and never failed.
      expect(sum(metrics, 'proofpoint_devo_sender_connections_total')).to.be.at.least(1);
      expect(sum(metrics, 'proofpoint_devo_sender_failures_total')).to.equal(0);
      expect(sum(metrics, 'proofpoint_devo_process_resident_memory_bytes')).to.be.greaterThan(0);

      const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
      expect(promtool.error, 'promtool (Debian package prometheus) must be installed: .ci/run installs it').to.equal(undefined);
      expect(`${promtool.stdout}${promtool.stderr}`.trim(), 'promtool check metrics').to.equal('');
      expect(promtool.status).to.equal(0);

      const status = JSON.parse((await get(`${base}/status`)).text) as CollectorStatus;
      expect(status.services.map((s) => s.name)).to.deep.equal(['pod/message', 'pod/maillog', 'casb/alerts', 'casb/events']);
      expect(status.services.every((s) => s.state === 'running')).to.equal(true);
      expect(status.services.find((s) => s.name === 'pod/message')!.lastEventTime).to.match(/^\d{4}-\d\d-\d\dT/);
      expect((await get(`${base}/health`)).status).to.equal(200);
      expect(await get(`${base}/ready`)).to.deep.equal({ status: 200, text: '{"status":"ready"}\n' });

      // The relay goes down: /ready turns 503 within the grace period (1.5 s here), and back to 200 when it returns.
      await relay.stop();
      let ready = await get(`${base}/ready`);
      for (const deadline = Date.now() + 15_000; ready.status !== 503 && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        ready = await get(`${base}/ready`);
      }
      expect(ready.status).to.equal(503);
      expect(JSON.parse(ready.text)).to.include({ status: 'not ready', ready: false, check: 'devo_connection' });
      relay = await RelayLog.start(pki, lineKey, port);
      for (const deadline = Date.now() + 30_000; ready.status !== 200 && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        ready = await get(`${base}/ready`);
      }
      expect(ready.status).to.equal(200);

      const everything = (await Promise.all(['/metrics', '/status', '/ready', '/health', '/nowhere'].map((p) => get(`${base}${p}`))))
        .map((r) => r.text)
        .join('\n');
      for (const secret of Object.values(SECRETS)) expect(everything).not.to.include(secret);
      expect((await get(`${base}/nowhere`)).status).to.equal(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).to.equal(405);

      const stopping = collector.stop();
      expect(JSON.parse((await get(`${base}/ready`)).text)).to.include({ check: 'stopping' });
      await stopping;
    } finally {
      await collector?.stop();
      await pod.stop();
      await casb.stop();
      await relay.stop();
      await remove();
    }
  });
});
