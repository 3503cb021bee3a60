import { expect } from 'chai';
import { DevoReceiver } from '../../lib/simulators/devoReceiver';
import { DevoSender } from '../../lib/sinks/devoSender';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { sharedPki } from '../helpers/pki';
import { waitFor } from '../helpers/waitFor';

/** A batch of 64 lines of 1 KiB, numbered from `first`. */
function batch(first: number): Buffer {
  const lines: string[] = [];
  for (let i = first; i < first + 64; i++) lines.push(`<14>2024-05-22T19:10:03.058Z host test.tag: {"n":${i},"pad":"${'x'.repeat(960)}"}\n`);
  return Buffer.from(lines.join(''));
}

describe('DevoSender and a slow relay (real TLS on loopback, throttled reads)', function () {
  this.timeout(90_000);
  let pki: ThrowawayPki;
  let relay: DevoReceiver | undefined;
  let sender: DevoSender | undefined;

  before(async () => {
    pki = await sharedPki();
  });
  afterEach(async () => {
    await sender?.close(500).catch(() => undefined);
    await relay?.stop({ abrupt: true });
    sender = undefined;
    relay = undefined;
  });

  it('confirms a backlog of several MiB on a relay reading 250 KB/s: every write delivered, every line arrives, none sent more than twice', async () => {
    const seen = new Map<number, number>();
    relay = await DevoReceiver.start({
      ca: pki.ca.cert,
      cert: pki.server.cert,
      key: pki.server.key,
      readBytesPerSecond: 250_000,
      onLine: (l) => {
        const n = Number(/"n":(\d+)/.exec(l)?.[1]);
        seen.set(n, (seen.get(n) ?? 0) + 1);
      },
    });
    sender = new DevoSender({
      host: 'localhost',
      port: relay.port,
      ca: pki.ca.cert,
      cert: pki.client.cert,
      key: pki.client.key,
      backoffInitialMs: 20,
      backoffMaxMs: 100,
      probationMs: 50,
      // Far less than the relay needs to read what the socket buffers hold (several MiB at 250 KB/s):
      // a fixed EOF wait of this length can never confirm.
      confirmAfterMs: 2_000,
      closeTimeoutMs: 3_000,
    });
    const batches = 80; // 5.2 MiB: more than the socket buffers hold, so the sender is backpressured
    let delivered = 0;
    const started = Date.now();
    const receipts = Array.from({ length: batches }, (_, i) => sender!.send(batch(i * 64), { lines: 64 }));
    receipts.forEach(
      (r) =>
        void r.delivered.then(
          () => delivered++,
          () => undefined,
        ),
    );
    await waitFor(() => delivered === batches, `all ${batches} writes delivered`, 70_000);
    const tookMs = Date.now() - started;
    expect(seen.size).to.equal(batches * 64);
    expect(Math.max(...seen.values()), 'the most times one line arrived').to.be.at.most(2);
    // At most one resend of the backlog (a confirming close that lost the race); the old fixed wait re-sent it forever.
    expect(sender.stats.bytesResent).to.be.at.most(batches * batch(0).length);
    const { connections, bytesResent, bytesDelivered } = sender.stats;
    console.log(
      `      slow relay (250 KB/s): ${(bytesDelivered / 1048576).toFixed(1)} MiB confirmed in ${(tookMs / 1000).toFixed(1)} s over ${connections} connection(s), ${bytesResent} bytes re-sent`,
    );
  });
});
