import { expect } from 'chai';
import * as net from 'node:net';
import type { CollectorError } from '../../lib/errors/collectorError';
import { createLogger } from '../../lib/log/logger';
import { DevoReceiver } from '../../lib/simulators/devoReceiver';
import { createCertificateAuthority, issueCertificate } from '../../lib/simulators/throwawayPki';
import { DevoSender, type DevoSenderOptions } from '../../lib/sinks/devoSender';
import { sharedPki } from '../helpers/pki';
import { freePort, Rsyslog } from '../helpers/rsyslog';
import { tempDir } from '../helpers/tempDir';
import { waitFor } from '../helpers/waitFor';
import { writeCertFiles } from '../helpers/certFiles';
import * as path from 'node:path';
import { decodeConfig } from '../../lib/config/loadConfig';
import { loadDevoCredentials } from '../../lib/config/devoCredentials';
import { SenderTelemetry } from '../../lib/telemetry/senderTelemetry';
import type { OutputWriter } from '../../lib/sinks/outputWriter';
import { writerFor } from '../../pipelines/runtime/outputSender';

const line = (i: number) => `<14>2024-05-22T19:10:03.058Z edge-1 my.app.relay.test: {"n":${i}}`;

describe('DevoSender over plain TCP to rsyslog imtcp (a Devo In-House Relay stand-in)', function () {
  this.timeout(30_000);
  let relay: Rsyslog | undefined;
  let sender: DevoSender | undefined;
  let receiver: DevoReceiver | undefined;
  let server: net.Server | undefined;
  let errors: CollectorError[];
  let logs: string[];

  beforeEach(() => {
    errors = [];
    logs = [];
  });
  afterEach(async () => {
    await sender?.close(500).catch(() => undefined);
    await relay?.stop();
    await receiver?.stop({ abrupt: true });
    await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
    sender = undefined;
    relay = undefined;
    receiver = undefined;
    server = undefined;
  });

  function newSender(port: number, overrides: Partial<DevoSenderOptions> = {}): DevoSender {
    sender = new DevoSender({
      host: '127.0.0.1',
      port,
      transport: 'tcp',
      backoffInitialMs: 20,
      backoffMaxMs: 200,
      probationMs: 50,
      settings: { address: `outputs.relay_1.config.address (127.0.0.1:${port})`, type: 'outputs.relay_1.type (syslog)' },
      logger: createLogger({ write: (l) => logs.push(l) }),
      onError: (e) => errors.push(e),
      ...overrides,
    });
    return sender;
  }

  /** A server on loopback that answers any bytes with `answer`. */
  async function answeringServer(answer: Buffer): Promise<number> {
    server = net.createServer((socket) => {
      socket.on('data', () => socket.write(answer));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return (server.address() as net.AddressInfo).port;
  }

  it('delivers 20 000 events in 200 batches, each confirmed by the relay answering our FIN: 0 lost, 0 duplicated', async () => {
    relay = await Rsyslog.start();
    const s = newSender(relay.port, { confirmAfterMs: 200 });
    const receipts = [];
    for (let b = 0; b < 200; b++) {
      const batch = Array.from({ length: 100 }, (_, i) => `${line(b * 100 + i)}\n`).join('');
      receipts.push(s.send(Buffer.from(batch), { lines: 100 }).delivered);
    }
    await Promise.all(receipts);
    const lines = await relay.waitForLines(20_000);
    const seen = new Map<number, number>();
    for (const l of lines) {
      const n = Number(/"n":(\d+)/.exec(l)?.[1]);
      seen.set(n, (seen.get(n) ?? 0) + 1);
    }
    expect(lines[0]).to.equal(line(0));
    expect(seen.size, 'distinct events').to.equal(20_000);
    expect(
      [...seen.values()].filter((c) => c > 1),
      'duplicates',
    ).to.deep.equal([]);
    expect(s.stats.bytesDelivered).to.equal(s.stats.bytesWritten);
  });

  it('a relay refusing connections at start: logged with its code, retried with backoff, every event delivered once it listens', async () => {
    const port = await freePort();
    const s = newSender(port);
    const delivered = Array.from({ length: 50 }, (_, i) => s.send(Buffer.from(`${line(i)}\n`), { lines: 1 }).delivered);
    await waitFor(() => errors.length >= 2, 'two refused attempts');
    expect(errors[0]!.code).to.equal('DEVO_CONNECT_FAILED');
    expect(errors[0]!.message).to.include(`outputs.relay_1.config.address (127.0.0.1:${port})`).and.include('ECONNREFUSED');
    expect(logs.some((l) => l.includes('ERROR') && l.includes('DEVO_CONNECT_FAILED'))).to.equal(true);
    relay = await Rsyslog.start(port);
    s.drain();
    await Promise.all(delivered);
    const lines = await relay.waitForLines(50);
    expect(lines).to.deep.equal(Array.from({ length: 50 }, (_, i) => line(i)));
  });

  it('pointed at a TLS port that closes at once: SYSLOG_PORT_SPEAKS_TLS, "looks like a TLS port: set chain or use type devo_platform"; nothing counts as delivered', async () => {
    const pki = await sharedPki();
    receiver = await DevoReceiver.start({ ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key });
    const s = newSender(receiver.port);
    let delivered = false;
    void s.send(Buffer.from(`${line(1)}\n`)).delivered.then(
      () => (delivered = true),
      () => undefined,
    );
    await waitFor(() => errors.some((e) => e.code === 'SYSLOG_PORT_SPEAKS_TLS'), 'SYSLOG_PORT_SPEAKS_TLS');
    const error = errors.find((e) => e.code === 'SYSLOG_PORT_SPEAKS_TLS')!;
    expect(error.message).to.match(/^The relay at outputs\.relay_1\.config\.address \(127\.0\.0\.1:\d+\) accepted the connection and closed/);
    expect(error.message).to.include('it looks like a TLS port: set chain (TLS to a syslog relay) or use type devo_platform (outputs.relay_1.type (syslog))');
    expect(delivered).to.equal(false);
    expect(receiver.stats.lines).to.equal(0);
  });

  it('pointed at a TLS port that answers with a TLS alert: SYSLOG_PORT_SPEAKS_TLS, naming the alert', async () => {
    const port = await answeringServer(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]));
    const s = newSender(port, { probationMs: 0 });
    void s.send(Buffer.from(`${line(1)}\n`)).delivered.catch(() => undefined);
    await waitFor(() => errors.some((e) => e.code === 'SYSLOG_PORT_SPEAKS_TLS'), 'SYSLOG_PORT_SPEAKS_TLS');
    expect(errors.find((e) => e.code === 'SYSLOG_PORT_SPEAKS_TLS')!.message).to.include(
      'answered with TLS bytes (a TLS alert): it looks like a TLS port: set chain',
    );
  });

  it('TLS pointed at a plain port that answers: DEVO_PORT_NOT_TLS, "does not speak TLS ... use type syslog"', async () => {
    const pki = await sharedPki();
    const port = await answeringServer(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const s = newSender(port, { transport: 'tls', ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key });
    s.open();
    await waitFor(() => errors.length > 0, 'an error');
    expect(errors[0]!.code).to.equal('DEVO_PORT_NOT_TLS');
    expect(errors[0]!.message).to.match(/^The port in outputs\.relay_1\.config\.address \(127\.0\.0\.1:\d+\) does not speak TLS \(.*wrong version number.*\)/);
    expect(errors[0]!.message).to.include('use type syslog without chain (outputs.relay_1.type (syslog))');
  });

  it('TLS pointed at rsyslog imtcp, which answers nothing: the handshake timeout says the port may be plain syslog', async () => {
    const pki = await sharedPki();
    relay = await Rsyslog.start();
    const s = newSender(relay.port, { transport: 'tls', ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key, connectTimeoutMs: 300 });
    s.open();
    await waitFor(() => errors.length > 0, 'an error');
    expect(errors[0]!.code).to.equal('DEVO_CONNECT_TIMEOUT');
    expect(errors[0]!.message)
      .to.include('No TLS handshake with')
      .and.include("if it is a plain syslog port (a Devo In-House Relay's 13000, rsyslog imtcp), it does not speak TLS: use type syslog without chain");
  });
});

describe('a syslog output with a chain (TLS to a syslog relay, from the config)', function () {
  this.timeout(20_000);
  let receiver: DevoReceiver | undefined;
  let writer: OutputWriter | undefined;
  let dir: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    await writeCertFiles(path.join(dir, 'certs'), await sharedPki());
  });
  afterEach(async () => {
    await writer?.close(500).catch(() => undefined);
    await receiver?.stop({ abrupt: true });
    writer = undefined;
    receiver = undefined;
    await remove();
  });

  async function writerOf(port: number, extra: Record<string, unknown>, logs: string[] = []): Promise<OutputWriter> {
    const config = decodeConfig(
      {
        globals: { id: '1', name: 'tls' },
        outputs: { relay_1: { type: 'sidecar', config: { address: 'localhost', port, chain_loc: 'chain.crt', ...extra } } },
        inputs: {},
      },
      { baseDir: dir, certsDir: path.join(dir, 'certs') },
    );
    const { credentials, problems } = await loadDevoCredentials(config.output);
    expect(problems).to.deep.equal([]);
    const telemetry = new SenderTelemetry();
    const logger = createLogger({ write: (l) => logs.push(l) });
    writer = writerFor(config.output, credentials!, { logger, telemetry, tuning: { backoffInitialMs: 20, backoffMaxMs: 100, probationMs: 50 } });
    return writer;
  }

  it('verifies the relay against chain and needs no client certificate; with cert and key it presents one', async () => {
    const pki = await sharedPki();
    const lines: string[] = [];
    receiver = await DevoReceiver.start({
      ca: pki.ca.cert,
      cert: pki.server.cert,
      key: pki.server.key,
      requireClientCert: false,
      onLine: (l) => lines.push(l),
    });
    const w = await writerOf(receiver.port, {});
    const first = w.send(Buffer.from(`${line(1)}\n`));
    w.drain();
    await first.delivered;
    expect(lines).to.deep.equal([line(1)]);
    expect(receiver.stats.protocols[0]).to.match(/^TLSv1\.[23]$/);
    await w.close(1000);
    await receiver.stop({ abrupt: true });

    // A relay whose certificate another CA signed is refused: the chain is checked.
    const other = await createCertificateAuthority('another CA');
    const stranger = await issueCertificate(other, { commonName: 'localhost', hosts: ['localhost'], usage: 'server' });
    receiver = await DevoReceiver.start({ ca: pki.ca.cert, cert: stranger.cert, key: stranger.key, requireClientCert: false, onLine: (l) => lines.push(l) });
    const logs: string[] = [];
    const u = await writerOf(receiver.port, {}, logs);
    void u.send(Buffer.from(`${line(3)}\n`)).delivered.catch(() => undefined);
    await waitFor(() => logs.some((l) => l.includes('DEVO_TLS_SERVER_UNTRUSTED')), 'the untrusted relay refused');
    expect(logs.find((l) => l.includes('DEVO_TLS_SERVER_UNTRUSTED'))).to.include(`outputs.relay_1.config.chain (${path.join(dir, 'certs', 'chain.crt')})`);
    await u.close(100);
    await receiver.stop({ abrupt: true });
    expect(lines).to.deep.equal([line(1)]);

    const mutual: string[] = [];
    receiver = await DevoReceiver.start({ ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key, onLine: (l) => mutual.push(l) });
    const m = await writerOf(receiver.port, { cert: 'client.crt', key: 'client.key' });
    const receipt = m.send(Buffer.from(`${line(2)}\n`));
    m.drain();
    await receipt.delivered;
    expect(mutual).to.deep.equal([line(2)]);
  });
});
