import { expect } from 'chai';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { loadConfig } from '../../lib/config/loadConfig';
import { createLogger } from '../../lib/log/logger';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { defaultServices } from '../../pipelines/runtime/defaultServices';
import { startCollector, type Collector } from '../../pipelines/runtime/runner';
import { writeCertFiles } from '../helpers/certFiles';
import { fixturePod, SECRET_ENV, writeCollectorConfig } from '../helpers/collectorFixture';
import { sharedPki } from '../helpers/pki';
import { tempDir } from '../helpers/tempDir';
import { sleep } from '../helpers/waitFor';

/** A relay that completes every TLS handshake (the client certificate accepted) and then destroys the socket. */
async function resettingRelay(pki: ThrowawayPki): Promise<{ port: number; handshakes: () => number; stop: () => Promise<void> }> {
  const server = tls.createServer({ ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key, requestCert: true, rejectUnauthorized: true });
  const sockets = new Set<tls.TLSSocket>();
  let handshakes = 0;
  server.on('secureConnection', (socket) => {
    handshakes++;
    socket.on('error', () => undefined);
    socket.destroy();
  });
  server.on('connection', (socket) => {
    sockets.add(socket as tls.TLSSocket);
    socket.on('close', () => sockets.delete(socket as tls.TLSSocket));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    handshakes: () => handshakes,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function ready(base: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/ready`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('reliability: a relay that resets every connection right after the TLS handshake', function () {
  this.timeout(60_000);
  let pki: ThrowawayPki;

  before(async () => {
    pki = await sharedPki();
  });

  for (const multiprocessing of [false, true]) {
    it(`turns /ready 503 after the grace period and logs DEVO_CLOSED_AFTER_HANDSHAKE, not a rejected certificate${multiprocessing ? ' (multiprocessing: true)' : ''}`, async () => {
      const { dir, remove } = await tempDir();
      const pod = await fixturePod({ rate: 200, total: 100_000 });
      const relay = await resettingRelay(pki);
      const lines: string[] = [];
      let collector: Collector | undefined;
      try {
        await writeCertFiles(path.join(dir, 'certs'), pki);
        await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url, stateDirectory: path.join(dir, 'state'), multiprocessing });
        const config = await loadConfig(path.join(dir, 'config.yaml'), { env: SECRET_ENV, baseDir: dir });
        collector = await startCollector(config, {
          logger: createLogger({ write: (l) => lines.push(l) }),
          writeLine: (l) => lines.push(l),
          services: defaultServices,
          http: { address: '127.0.0.1', port: 0 },
          readinessGraceMs: 1500,
          senderTuning: { backoffInitialMs: 50, backoffMaxMs: 200 },
          stopTimeoutMs: 1000,
        });
        const started = Date.now();
        const base = collector.httpUrl!;
        // Handshakes keep succeeding; nothing is ever delivered: readiness must follow delivery.
        let answer = await ready(base);
        for (const deadline = Date.now() + 20_000; answer.status !== 503 && Date.now() < deadline; answer = await ready(base)) await sleep(200);
        expect(relay.handshakes(), 'handshakes the relay completed').to.be.greaterThan(3);
        expect(answer.status).to.equal(503);
        expect(answer.body).to.include({ check: 'devo_connection' });
        console.log(`      /ready 503 ${Date.now() - started} ms after the start (grace 1 500 ms); the relay completed ${relay.handshakes()} handshakes`);
        // And it stays so while the relay goes on resetting (no flapping back at each handshake).
        let flapped = false;
        for (const until = Date.now() + 3000; Date.now() < until; await sleep(100)) if ((await ready(base)).status === 200) flapped = true;
        expect(flapped, '/ready went back to 200 with nothing delivered').to.equal(false);
        const log = lines.join('\n');
        expect(log).to.include('DEVO_CLOSED_AFTER_HANDSHAKE');
        expect(log).not.to.include('DEVO_TLS_CLIENT_CERT_REJECTED');
      } finally {
        await collector?.stop();
        await pod.stop();
        await relay.stop();
        await remove();
      }
    });
  }
});
