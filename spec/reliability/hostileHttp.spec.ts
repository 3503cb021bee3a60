import { expect } from 'chai';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as net from 'node:net';
import * as path from 'node:path';
import { writeCollectorConfig } from '../helpers/collectorFixture';
import type { CollectorProcess } from '../helpers/collectorProcess';
import { collectorRig } from '../helpers/collectorRig';
import { sleep, waitFor } from '../helpers/waitFor';

/** Sends `request` as raw bytes and resolves with what came back before the server closed (or `idleMs` of silence). */
export function rawRequest(port: number, request: string, idleMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    socket.setTimeout(idleMs, () => socket.destroy());
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', (err) => (answer === '' ? reject(err) : resolve(answer)));
  });
}

/** The status code of a raw HTTP answer (`HTTP/1.1 400 Bad Request` → 400), or undefined. */
export function statusOf(answer: string): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
  return m === null ? undefined : Number(m[1]);
}

describe('a hostile client of the HTTP endpoint (a real collector process)', function () {
  this.timeout(90_000);
  const rig = collectorRig({ rate: 100, total: 100_000 });

  /** Starts `run --http 127.0.0.1:0`; resolves with the process and the endpoint's port once it delivers. */
  async function startCollector(multiprocessing: boolean, httpServer?: string): Promise<{ collector: CollectorProcess; port: number }> {
    await writeCollectorConfig(rig.dir, { relayPort: rig.relay.port, podUrl: rig.pod.url, multiprocessing });
    if (httpServer !== undefined) {
      const file = path.join(rig.dir, 'config.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('  name: fixture\n', `  name: fixture\n  http_server: ${httpServer}\n`));
    }
    const collector = rig.start({ args: httpServer === undefined ? ['--http', '127.0.0.1:0'] : [] });
    await waitFor(
      () => /Serving \/metrics.* at http:\/\/[\d.]+:\d+/.test(collector.stdout) && rig.relay.unique > 0,
      'the endpoint and a first delivery',
      30_000,
    );
    const port = Number(/Serving \/metrics.* at http:\/\/[\d.]+:(\d+)/.exec(collector.stdout)![1]);
    return { collector, port };
  }

  for (const multiprocessing of [false, true]) {
    it(`a request target that is not a URL path (GET //[, GET http://a:b) is answered 400 and the process goes on delivering (multiprocessing: ${String(multiprocessing)})`, async () => {
      const { collector, port } = await startCollector(multiprocessing);
      let exited = false;
      void collector.exited.then(() => (exited = true));
      for (const target of ['//[', 'http://a:b', '//[::1', 'http://[']) {
        const answer = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
        expect(statusOf(answer), `GET ${target}`).to.equal(400);
      }
      const before = rig.relay.unique;
      await waitFor(() => exited || rig.relay.unique > before + 100, 'more deliveries after the bad requests', 20_000);
      expect(exited, `the collector exited:\n${collector.stdout.slice(-2000)}\n${collector.stderr}`).to.equal(false);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).to.equal(200);
      expect(collector.stdout).not.to.match(/UNHANDLED_REJECTION|UNCAUGHT_EXCEPTION/);
    });
  }

  it('a slowloris (hundreds of idle and half-sent requests) holds at most the connection cap, is cut after the headers timeout, and a later scrape succeeds', async () => {
    const { collector, port } = await startCollector(false);
    const fds = async () => (await readdir(`/proc/${collector.pid}/fd`)).length;
    const baseline = await fds();
    const sockets: net.Socket[] = [];
    let closedByServer = 0;
    try {
      for (let i = 0; i < 300; i++) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.on('close', () => closedByServer++);
        // Half of them send the start of a request and never finish it; the others send nothing.
        if (i % 2 === 0) socket.on('connect', () => socket.write('GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Slow: '));
        sockets.push(socket);
      }
      await waitFor(() => sockets.every((s) => !s.connecting), 'every connection attempt', 10_000);
      await sleep(500);
      const held = (await fds()) - baseline;
      expect(held, 'descriptors the collector holds for the idle connections').to.be.at.most(40);
      expect(closedByServer, 'connections past the cap closed at once').to.be.at.least(250);
      // Those it took are cut after the headers timeout (5 s), so scrapes get through again.
      // (The clients never read: the collector must let go of them all the same.)
      for (const deadline = Date.now() + 15_000; (await fds()) - baseline > 5; await sleep(200)) {
        if (Date.now() > deadline) throw new Error(`the collector still holds ${(await fds()) - baseline} descriptors for idle connections`);
      }
      const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scrape.status).to.equal(200);
      expect(await scrape.text()).to.include('proofpoint_devo_');
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  it("answers a Host that is an IP literal, localhost, the machine's name or an allowed host, and 421 to any other name (DNS rebinding)", async () => {
    const { port } = await startCollector(false, '{ address: 0.0.0.0, port: 0, allowed_hosts: [collector.internal] }');
    const status = async (host: string) => statusOf(await rawRequest(port, `GET /status HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      '10.244.1.17:9464',
      `${hostname()}:${port}`,
      'collector.internal:9464',
      'COLLECTOR.internal.',
      'localhost',
    ]) {
      expect(await status(host), host).to.equal(200);
    }
    for (const host of [`evil.example:${port}`, 'attacker.localhost.evil.com', 'collector.internal.evil.com', '127.0.0.1.nip.io', '[::1']) {
      const answer = await rawRequest(port, `GET /status HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect(statusOf(answer), host).to.be.oneOf([421, 400]);
      expect(answer, host).not.to.include('"services"');
    }
    expect(await status('evil.example')).to.equal(421);
  });
});
