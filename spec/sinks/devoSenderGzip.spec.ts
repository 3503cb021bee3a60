import { expect } from 'chai';
import { createHash } from 'node:crypto';
import * as tls from 'node:tls';
import { gunzipSync, gzipSync } from 'node:zlib';
import { loopbackSender } from '../helpers/loopbackSender';
import { sleep, waitFor } from '../helpers/waitFor';

/** A PoD-like line; the hash makes each one differ as real events do (ids, addresses, scores), so the ratio is not flattered. */
const line = (i: number) => {
  const h = createHash('sha256').update(String(i)).digest('hex');
  return `<14>2024-05-22T19:10:03.058Z host mail.proofpoint.pod.message: {"guid":"g-${i}-${h.slice(0, 24)}","ts":"2024-05-22T19:10:${String(i % 60).padStart(2, '0')}.${i % 1000}Z","msg":{"header":{"from":["${h.slice(24, 32)}@example.com"],"to":["bob@example.org"]},"filter":{"disposition":"continue","routes":["inbound"],"spamScore":${parseInt(h.slice(32, 34), 16) % 100}}}}\n`;
};

/** `count` batches of `size` lines each, numbered from `from`. */
function batches(count: number, size: number, from = 0): Buffer[] {
  return Array.from({ length: count }, (_, b) => Buffer.from(Array.from({ length: size }, (_, i) => line(from + b * size + i)).join('')));
}

describe('DevoSender with gzipLevel (compression as Devo SDK does it, real TLS on loopback)', function () {
  this.timeout(20_000);
  const loopback = loopbackSender();
  const { lines, startRelay, newSender } = loopback;
  let raw: tls.Server | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) => (raw === undefined ? resolve() : raw.close(() => resolve())));
    raw = undefined;
  });

  it('writes each batch as one complete gzip member, nothing between them, at the level given', async () => {
    // A relay that keeps the raw bytes of its connection, and answers our half-close with EOF.
    const received: Buffer[] = [];
    raw = tls.createServer({ ...loopback.relayTls, requestCert: true, rejectUnauthorized: true }, (socket) => {
      socket.on('data', (d: Buffer) => received.push(d));
      socket.on('end', () => socket.end());
      socket.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => raw!.listen(0, '127.0.0.1', () => resolve()));
    const port = (raw.address() as { port: number }).port;
    const s = newSender(port, { gzipLevel: 9, confirmAfterMs: 60_000 });
    const sent = batches(5, 100);
    const receipts = sent.map((b) => s.send(b, { lines: 100 }));
    s.drain();
    await Promise.all(receipts.map((r) => r.delivered));
    const wire = Buffer.concat(received);
    // zlib is deterministic: the wire is exactly the members, one per batch, with no prefix or separator.
    expect(wire.equals(Buffer.concat(sent.map((b) => gzipSync(b, { level: 9 }))))).to.equal(true);
    expect(gunzipSync(wire).equals(Buffer.concat(sent))).to.equal(true);
  });

  it('delivers every line intact to the receiver, which inflates the members and counts the bytes on the wire and inflated', async () => {
    const r = await startRelay();
    const s = newSender(r.port, { gzipLevel: 6 });
    const sent = batches(20, 200);
    const receipts = sent.map((b) => s.send(b, { lines: 200 }));
    s.drain();
    await Promise.all(receipts.map((x) => x.delivered));
    await waitFor(() => lines.length === 4000, '4000 lines');
    expect(lines).to.deep.equal(Array.from({ length: 4000 }, (_, i) => line(i).trimEnd()));
    const plain = sent.reduce((sum, b) => sum + b.length, 0);
    await waitFor(() => r.stats.bytesInflated === plain, 'every byte inflated');
    expect(r.stats.bytes).to.equal(s.stats.bytesWritten);
    expect(s.stats.bytesUncompressed).to.equal(plain);
    expect(r.stats.bytes).to.be.lessThan(plain / 2);
    console.log(`      gzip level 6: ${plain} bytes of lines, ${r.stats.bytes} on the wire (ratio ${(plain / r.stats.bytes).toFixed(1)}:1)`);
  });

  it('re-sends whole members after a relay crash mid-stream: every line arrives, the re-sent members decode', async () => {
    const r = await startRelay();
    const port = r.port;
    const s = newSender(port, { gzipLevel: 6 });
    const first = batches(25, 40).map((b) => s.send(b, { lines: 40 }));
    await Promise.all(first.map((x) => x.written));
    // The relay is reading the members (none is confirmed yet) when it dies.
    await waitFor(() => lines.length > 0, 'the relay reading');
    await r.stop({ abrupt: true });
    const more = batches(25, 40, 1000).map((b) => s.send(b, { lines: 40 }));
    await sleep(100);
    const restarted = await startRelay({}, port);
    s.drain();
    await Promise.all([...first, ...more].map((x) => x.delivered));
    await waitFor(() => new Set(lines).size === 2000, 'all 2000 distinct lines');
    expect(lines.every((l) => /^<14>\S+ host mail\.proofpoint\.pod\.message: \{"guid":"g-\d+-[0-9a-f]{24}",.*\}$/.test(l))).to.equal(true);
    expect(s.stats.connectionsLost).to.equal(1);
    expect(s.stats.bytesResent).to.be.greaterThan(0);
    // What the restarted relay read came compressed, re-sent members included.
    expect(restarted.stats.bytes).to.be.lessThan(restarted.stats.bytesInflated / 2);
  });

  it('without gzipLevel writes the lines as they are: the bytes on the wire are the lines', async () => {
    const r = await startRelay();
    const s = newSender(r.port);
    const sent = batches(10, 50);
    const receipts = sent.map((b) => s.send(b, { lines: 50 }));
    s.drain();
    await Promise.all(receipts.map((x) => x.delivered));
    await waitFor(() => lines.length === 500, '500 lines');
    const plain = sent.reduce((sum, b) => sum + b.length, 0);
    expect(r.stats.bytes).to.equal(plain);
    expect(r.stats.bytesInflated).to.equal(plain);
    expect(s.stats.bytesWritten).to.equal(plain);
    expect(s.stats.bytesUncompressed).to.equal(plain);
  });
});
