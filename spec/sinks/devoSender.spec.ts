import { expect } from 'chai';
import * as tls from 'node:tls';
import { CollectorError } from '../../lib/errors/collectorError';
import { createCertificateAuthority, issueCertificate } from '../../lib/simulators/throwawayPki';
import { loopbackSender } from '../helpers/loopbackSender';
import { sleep, waitFor } from '../helpers/waitFor';

const line = (i: number) => Buffer.from(`<14>2024-05-22T19:10:03.058Z host test.tag: {"n":${i}}\n`);

describe('DevoSender (real TLS on loopback)', function () {
  this.timeout(20_000);
  const loopback = loopbackSender();
  const { lines, startRelay, newSender } = loopback;

  it('writes in order over mutual TLS 1.2+; written on the write callback, delivered only once the relay confirms', async () => {
    const r = await startRelay();
    const s = newSender(r.port, { confirmAfterMs: 60_000 });
    const receipts = [0, 1, 2].map((i) => s.send(line(i)));
    await Promise.all(receipts.map((x) => x.written));
    expect(s.stats.bytesWritten).to.equal(3 * line(0).length);
    await waitFor(() => lines.length === 3, '3 lines');
    let delivered = 0;
    receipts.forEach((x) => void x.delivered.then(() => delivered++));
    await sleep(200);
    // The relay read them, but nothing told the sender: a write callback is not a delivery.
    expect(delivered).to.equal(0);
    expect(s.stats.bytesUnconfirmed).to.equal(3 * line(0).length);
    s.drain();
    await Promise.all(receipts.map((x) => x.delivered));
    expect(s.stats.bytesDelivered).to.equal(3 * line(0).length);
    await waitFor(() => lines.length === 3, '3 lines');
    expect(lines).to.deep.equal([0, 1, 2].map((i) => line(i).toString().trimEnd()));
    expect(r.stats.connections).to.equal(1);
    expect(r.stats.protocols[0]).to.match(/^TLSv1\.[23]$/);
  });

  it('holds data back while the socket is full instead of buffering it all in the socket (backpressure)', async () => {
    const r = await startRelay({ readBytesPerSecond: 2 * 1024 * 1024 });
    const s = newSender(r.port);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    chunk[chunk.length - 1] = 0x0a;
    const sends = Array.from({ length: 256 }, () => s.send(chunk).written); // 16 MiB
    await sleep(500);
    // The socket's buffers hold a few MiB at most; the rest must wait in the sender's queue.
    expect(s.stats.bytesQueued).to.be.greaterThan(6 * 1024 * 1024);
    expect(r.stats.bytes).to.be.lessThan(6 * 1024 * 1024);
    // Only what the kernel took is acknowledged.
    let acknowledged = 0;
    sends.forEach((p) => void p.then(() => acknowledged++));
    await sleep(50);
    expect(acknowledged).to.be.lessThan(200);
    await loopback.stopRelay();
  });

  it('reports what it sees of a client certificate the relay rejects without an alert (closed after the handshake), naming the cert setting, and never acknowledges the data', async () => {
    const otherCa = await createCertificateAuthority('another CA');
    const r = await startRelay({ ca: otherCa.cert });
    const errors: CollectorError[] = [];
    const s = newSender(r.port, { onError: (e) => errors.push(e) });
    const pending = s.send(line(1)).delivered;
    await waitFor(() => errors.length >= 2, 'two failed attempts (with backoff)');
    // A TLS 1.3 relay checks the certificate after the client's handshake is done: no alert reaches the client, only a close.
    expect(errors[0]!.code).to.be.oneOf(['DEVO_CLOSED_AFTER_HANDSHAKE', 'DEVO_TLS_CLIENT_CERT_REJECTED']);
    expect(errors[0]!.message).to.include('outputs.devo_1.config.cert (/certs/client.crt)');
    expect(lines).to.deep.equal([]);
    expect(r.stats.lines).to.equal(0);
    const closed = s.close(100);
    try {
      await pending;
      expect.fail('the write must not be acknowledged');
    } catch (err) {
      expect((err as CollectorError).code).to.equal('DEVO_SENDER_CLOSED');
    }
    await closed;
  });

  it('refuses a relay whose certificate does not match the host name', async () => {
    const wrongName = await issueCertificate(loopback.pki.ca, { commonName: 'other.example', hosts: ['other.example'], usage: 'server' });
    const r = await startRelay({ cert: wrongName.cert, key: wrongName.key });
    const errors: CollectorError[] = [];
    const s = newSender(r.port, { onError: (e) => errors.push(e) });
    s.send(line(1));
    await waitFor(() => errors.length >= 1, 'a hostname error');
    expect(errors[0]!.code).to.equal('DEVO_TLS_HOSTNAME_MISMATCH');
    expect(errors[0]!.message).to.match(/does not match the host name in address \(localhost:\d+\)/);
    expect(r.stats.connections).to.equal(0);
  });

  it('refuses a relay whose certificate is not signed by the chain, naming the chain setting', async () => {
    const r = await startRelay();
    const otherCa = await createCertificateAuthority('another CA');
    const errors: CollectorError[] = [];
    const s = newSender(r.port, { ca: otherCa.cert, onError: (e) => errors.push(e) });
    s.send(line(1));
    await waitFor(() => errors.length >= 1, 'a trust error');
    expect(errors[0]!.code).to.equal('DEVO_TLS_SERVER_UNTRUSTED');
    expect(errors[0]!.message).to.include('outputs.devo_1.config.chain (/certs/chain.crt)');
    expect(r.stats.connections).to.equal(0);
  });

  it('reports a key that does not belong to the certificate as DEVO_CERT_INVALID', async () => {
    const r = await startRelay();
    const errors: CollectorError[] = [];
    const s = newSender(r.port, { key: loopback.pki.server.key, onError: (e) => errors.push(e) });
    s.send(line(1));
    await waitFor(() => errors.length >= 1, 'a certificate error');
    expect(errors[0]!.code).to.equal('DEVO_CERT_INVALID');
    expect(errors[0]!.message).to.include('outputs.devo_1.config.cert');
  });

  it('detects the relay closing the connection (EOF), reconnects and re-sends what it may not have read', async () => {
    const r = await startRelay();
    const s = newSender(r.port);
    const first = s.send(line(1));
    await first.written;
    await waitFor(() => lines.length === 1, 'first line');
    r.disconnectAll();
    await sleep(100);
    await s.send(line(2)).written;
    await waitFor(() => lines.includes(line(2).toString().trimEnd()), 'second line');
    expect(r.stats.connections).to.equal(2);
    expect(s.stats.connectionsLost).to.equal(1);
    expect(s.stats.bytesResent).to.equal(line(1).length);
    expect(lines.filter((l) => l.endsWith('{"n":2}'))).to.have.length(1);
  });

  it('closes an idle connection itself (half-close, then EOF) and reconnects on the next write without re-sending', async () => {
    const r = await startRelay();
    const s = newSender(r.port, { idleTimeoutMs: 100 });
    // The idle close's EOF confirms the first line.
    await s.send(line(1)).delivered;
    await sleep(100);
    await s.send(line(2)).written;
    await waitFor(() => lines.length === 2, '2 lines');
    expect(r.stats.connections).to.equal(2);
    expect(s.stats.bytesResent).to.equal(0);
    expect(lines).to.deep.equal([line(1), line(2)].map((b) => b.toString().trimEnd()));
  });

  it('recycles an old connection before the next write', async () => {
    const r = await startRelay();
    const s = newSender(r.port, { recycleAfterMs: 100 });
    await s.send(line(1)).written;
    await sleep(150);
    await s.send(line(2)).written;
    await s.send(line(3)).written;
    await waitFor(() => lines.length === 3, '3 lines');
    expect(r.stats.connections).to.equal(2);
    expect(s.stats.bytesResent).to.equal(0);
  });

  it('re-sends what a relay that died mid-stream may have lost: nothing is lost', async () => {
    const r = await startRelay();
    const port = r.port;
    const s = newSender(port);
    const first = [];
    for (let i = 0; i < 50; i++) {
      first.push(s.send(line(i)));
      await first[i]!.written;
    }
    await r.stop({ abrupt: true });
    const more = Array.from({ length: 50 }, (_, i) => s.send(line(50 + i)));
    await sleep(100);
    await startRelay({}, port);
    s.drain();
    await Promise.all([...first, ...more].map((x) => x.delivered));
    await waitFor(() => new Set(lines).size === 100, 'all 100 distinct lines');
    expect(s.stats.connectionsLost).to.equal(1);
  });

  it('on close, flushes, half-closes and waits for the relay to answer with EOF', async () => {
    const r = await startRelay();
    const s = newSender(r.port);
    const sends = Array.from({ length: 100 }, (_, i) => s.send(line(i)));
    await s.close();
    await Promise.all(sends.map((x) => x.delivered));
    expect(lines).to.have.length(100);
    try {
      await s.send(line(101)).written;
      expect.fail('send after close must reject');
    } catch (err) {
      expect((err as CollectorError).code).to.equal('DEVO_SENDER_CLOSED');
    }
  });

  it('gives up waiting for EOF from a relay that never answers the half-close', async () => {
    const server = tls.createServer({ ...loopback.relayTls, requestCert: true, allowHalfOpen: true });
    const received: Buffer[] = [];
    const sockets: tls.TLSSocket[] = [];
    server.on('secureConnection', (socket) => {
      sockets.push(socket);
      socket.on('data', (d: Buffer) => received.push(d));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const s = newSender(port, { closeTimeoutMs: 200 });
    const receipt = s.send(line(1));
    await receipt.written;
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).to.be.within(150, 2000);
    expect(Buffer.concat(received).toString()).to.equal(line(1).toString());
    // Read, perhaps, but never confirmed: its cursor must not move.
    try {
      await receipt.delivered;
      expect.fail('an unconfirmed write must not count as delivered');
    } catch (err) {
      expect((err as CollectorError).code).to.equal('DEVO_SENDER_CLOSED');
    }
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a stalled relay (TLS up, never reads): what the socket took is written, never delivered, and rejected at close', async () => {
    const server = tls.createServer({ ...loopback.relayTls, requestCert: true, allowHalfOpen: true });
    const sockets: tls.TLSSocket[] = [];
    server.on('secureConnection', (socket) => {
      sockets.push(socket);
      socket.pause();
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const s = newSender(port, { closeTimeoutMs: 300, confirmAfterMs: 200 });
    const chunk = Buffer.alloc(256 * 1024, 'x');
    chunk[chunk.length - 1] = 0x0a;
    const receipts = Array.from({ length: 16 }, () => s.send(chunk)); // 4 MiB, under the 8 MiB window
    await receipts[0]!.written;
    let delivered = 0;
    receipts.forEach(
      (x) =>
        void x.delivered.then(
          () => delivered++,
          () => undefined,
        ),
    );
    await sleep(1000);
    expect(s.stats.bytesWritten).to.be.greaterThan(0);
    expect(delivered).to.equal(0);
    const outcomes = receipts.map((x) =>
      x.delivered.then(
        () => 'delivered',
        (e: CollectorError) => e.code,
      ),
    );
    await s.close(500);
    expect(new Set(await Promise.all(outcomes))).to.deep.equal(new Set(['DEVO_SENDER_CLOSED']));
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('delivers a write once a resend window of data was written after it', async () => {
    const r = await startRelay();
    const s = newSender(r.port, { resendWindowBytes: 4 * line(0).length, confirmAfterMs: 60_000 });
    const receipts = Array.from({ length: 10 }, (_, i) => s.send(line(i)));
    await Promise.all(receipts.map((x) => x.written));
    await sleep(100); // past the probation
    s.send(line(10));
    await receipts[5]!.delivered;
    const states = await Promise.all(receipts.map((x) => Promise.race([x.delivered.then(() => true), sleep(50).then(() => false)])));
    // 11 writes, a window of 4 lines: the 7 oldest are out of it.
    expect(states).to.deep.equal([true, true, true, true, true, true, true, false, false, false]);
  });

  it('cycles the connection to confirm a write that waited confirmAfterMs, without re-sending it', async () => {
    const r = await startRelay();
    const s = newSender(r.port, { confirmAfterMs: 300 });
    const started = Date.now();
    await s.send(line(1)).delivered;
    expect(Date.now() - started).to.be.within(250, 3000);
    await s.send(line(2)).written;
    await waitFor(() => lines.length === 2, '2 lines');
    expect(r.stats.connections).to.equal(2);
    expect(s.stats.bytesResent).to.equal(0);
    expect(lines).to.deep.equal([line(1), line(2)].map((b) => b.toString().trimEnd()));
  });

  it('once draining, half-closes as soon as nothing is being written (not before the probation)', async () => {
    const r = await startRelay();
    const s = newSender(r.port, { confirmAfterMs: 60_000, probationMs: 200 });
    s.drain();
    const receipt = s.send(line(1));
    await receipt.delivered;
    expect(s.stats.connectionsLost).to.equal(0);
    expect(s.stats.bytesResent).to.equal(0);
    expect(lines).to.have.length(1);
  });
});
