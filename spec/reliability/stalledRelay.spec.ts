import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { writeCertFiles } from '../helpers/certFiles';
import { expectedKeys, fixturePod, lineKey, SECRET_ENV, writeCollectorConfig } from '../helpers/collectorFixture';
import { CollectorProcess } from '../helpers/collectorProcess';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { sleep, waitFor } from '../helpers/waitFor';

/** A relay that reads (and keeps the keys of) what arrives until told to stall: then it keeps its connections but reads nothing more. */
class StallingRelay {
  readonly keys = new Set<string>();
  private stalled = false;
  private readonly sockets = new Set<tls.TLSSocket>();
  private constructor(private readonly server: tls.Server) {}

  static async start(pki: ThrowawayPki): Promise<StallingRelay> {
    const server = tls.createServer({
      ca: pki.ca.cert,
      cert: pki.server.cert,
      key: pki.server.key,
      requestCert: true,
      rejectUnauthorized: true,
      allowHalfOpen: true,
    });
    const relay = new StallingRelay(server);
    server.on('secureConnection', (socket) => relay.accept(socket));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  private accept(socket: tls.TLSSocket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    if (this.stalled) socket.pause();
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) this.keys.add(String(lineKey(JSON.parse(line.slice(line.indexOf(': ') + 2)) as Record<string, unknown>)));
    });
  }

  /** Stops reading, on every connection, now and later (the relay hangs but keeps its sockets). */
  stall(): void {
    this.stalled = true;
    for (const socket of this.sockets) socket.pause();
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('reliability: a clean stop while the relay has stalled', function () {
  this.timeout(120_000);
  let pki: ThrowawayPki;

  before(async () => {
    pki = await sharedPki();
  });

  it('commits nothing the relay did not confirm reading: the next start delivers everything', async () => {
    const { dir, remove } = await tempDir();
    const total = 4000;
    const pod = await fixturePod({ rate: 600, total, duplicateRate: 0 });
    const stalling = await StallingRelay.start(pki);
    let relay: RelayLog | undefined;
    const collectors: CollectorProcess[] = [];
    try {
      await writeCertFiles(path.join(dir, 'certs'), pki);
      await writeCollectorConfig(dir, { relayPort: stalling.port, podUrl: pod.url });
      const first = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: SECRET_ENV });
      collectors.push(first);
      await waitFor(() => stalling.keys.size >= 1500, 'events read by the relay before it stalls', 30_000);
      stalling.stall();
      // The collector goes on writing into the socket buffers, which the relay no longer reads.
      await sleep(2000);
      const stoppedAt = Date.now();
      first.kill('SIGTERM');
      expect((await first.exited).code).to.equal(0);
      // The sender's close budget (10 s) and the process's own stop, on a loaded machine.
      expect(Date.now() - stoppedAt).to.be.below(15_000);
      expect(first.stdout).to.match(/DEVO_SENDER_CLOSED: closing with \d+ batch\(es\) \(\d+ bytes\) the relay did not confirm reading/);
      const readBeforeStall = new Set(stalling.keys);
      const port = stalling.port;
      await stalling.stop();

      relay = await RelayLog.start(pki, lineKey, port);
      const second = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: SECRET_ENV });
      collectors.push(second);
      const expected = expectedKeys(total, 0);
      const union = () => new Set([...readBeforeStall, ...relay!.counts.keys()]);
      await waitFor(() => union().size >= expected.size, 'every event, across both relays', 60_000);
      second.kill('SIGTERM');
      expect((await second.exited).code).to.equal(0);
      expect(union()).to.deep.equal(expected);
      expect(second.stdout).to.match(/the previous run did not stop cleanly: catching up from \S+, the hour of the earliest event it may not have delivered/);
      console.log(
        `      stalled relay: ${readBeforeStall.size} read before the stall, the rest (${expected.size - readBeforeStall.size}) after the restart; lost 0`,
      );
    } finally {
      for (const c of collectors) await c.dispose();
      await pod.stop();
      await stalling.stop().catch(() => undefined);
      await relay?.stop();
      await remove();
    }
  });
});
