import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadConfig } from '../../lib/config/loadConfig';
import { createLogger } from '../../lib/log/logger';
import { defaultServices } from '../../pipelines/runtime/defaultServices';
import { startCollector, type Collector } from '../../pipelines/runtime/runner';
import { writeCertFiles } from '../helpers/certFiles';
import { fixturePod, lineKey, SECRET_ENV } from '../helpers/collectorFixture';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { Rsyslog } from '../helpers/rsyslog';
import { tempDir } from '../helpers/tempDir';
import { sleep } from '../helpers/waitFor';

async function get(base: string, what: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${what}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('reliability: one of two outputs dead (rsyslog imtcp down), the other a TLS relay', function () {
  this.timeout(60_000);

  for (const multiprocessing of [false, true]) {
    it(`holds the pulls back (the other output stops growing), /ready names the dead output, and both get everything once it is back${multiprocessing ? ' (multiprocessing: true: per-output figures merged by name)' : ''}`, async () => {
      const { dir, remove } = await tempDir();
      const pki = await sharedPki();
      const pod = await fixturePod({ rate: 1000, total: 100_000, duplicateRate: 0 });
      const tls = await RelayLog.start(pki, lineKey);
      const rsyslog = await Rsyslog.start();
      await rsyslog.kill('SIGKILL');
      const lines: string[] = [];
      let collector: Collector | undefined;
      try {
        await writeCertFiles(path.join(dir, 'certs'), pki);
        await writeFile(
          path.join(dir, 'config.yaml'),
          `globals:
  id: "1"
  name: stalled
  queue_max_size_in_messages: 2000
  multiprocessing: ${multiprocessing}
  persistence: { type: filesystem, config: { directory_name: state } }
outputs:
  devo_1:
    type: devo_platform
    config: { address: localhost, port: ${tls.port}, type: SSL, chain: chain.crt, cert: client.crt, key: client.key, hostname: edge-1 }
  relay_1:
    type: syslog
    config: { address: 127.0.0.1, port: ${rsyslog.port}, hostname: edge-1 }
inputs:
  proofpoint_on_demand:
    id: "7"
    credentials: { cluster_id: acme, api_token: "\${POD_TOKEN}" }
    override_url_base: ${pod.url}
    services:
      message: { period_in_seconds: 1 }
      maillog: { period_in_seconds: 1 }
`,
        );
        const config = await loadConfig(path.join(dir, 'config.yaml'), { env: SECRET_ENV, baseDir: dir });
        collector = await startCollector(config, {
          logger: createLogger({ write: (l) => lines.push(l) }),
          writeLine: (l) => lines.push(l),
          services: defaultServices,
          http: { address: '127.0.0.1', port: 0 },
          readinessGraceMs: 1500,
          senderTuning: { backoffInitialMs: 50, backoffMaxMs: 200 },
          stopTimeoutMs: 3000,
        });
        const base = collector.httpUrl!;
        let answer = await get(base, '/ready');
        for (const deadline = Date.now() + 20_000; answer.status !== 503 && Date.now() < deadline; answer = await get(base, '/ready')) await sleep(200);
        expect(answer.status).to.equal(503);
        expect(answer.body).to.include({ check: 'devo_connection', output: 'relay_1' });
        expect(String(answer.body['detail'])).to.match(/^nothing delivered to output relay_1 since /);
        // Backpressure: the dead output never takes a batch, so the pulls stop and devo_1 stops growing.
        const before = tls.unique;
        await sleep(2000);
        const after = tls.unique;
        const offered = pod.stats.eventsSent;
        console.log(`      devo_1 held at ${after} lines (${after - before} in 2 s) while the dead relay_1 held the pulls; PoD had sent ${offered}`);
        expect(after - before, 'devo_1 lines in 2 s with relay_1 dead').to.equal(0);
        expect(after).to.be.below(10_000);
        await rsyslog.listen();
        let got = 0;
        for (const deadline = Date.now() + 20_000; got <= after + 2000 && Date.now() < deadline; await sleep(200)) got = (await rsyslog.lines()).length;
        expect(got, 'relay_1 receives once back').to.be.greaterThan(after + 2000);
        answer = await get(base, '/ready');
        for (const deadline = Date.now() + 10_000; answer.status !== 200 && Date.now() < deadline; answer = await get(base, '/ready')) await sleep(200);
        expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
        const status = (await get(base, '/status')).body as { outputs: Array<{ name: string; connected: boolean; linesWritten: number }> };
        expect(status.outputs.map((o) => o.name)).to.deep.equal(['devo_1', 'relay_1']);
        expect(
          status.outputs.every((o) => o.linesWritten > after),
          JSON.stringify(status.outputs),
        ).to.equal(true);
        const metrics = await (await fetch(`${base}/metrics`)).text();
        expect(metrics).to.match(/^proofpoint_devo_sender_lines_written_total\{output="devo_1"\} [1-9]/m);
        expect(metrics).to.match(/^proofpoint_devo_sender_lines_written_total\{output="relay_1"\} [1-9]/m);
      } finally {
        await collector?.stop();
        await pod.stop();
        await tls.stop();
        await rsyslog.stop();
        await remove();
      }
    });
  }
});
