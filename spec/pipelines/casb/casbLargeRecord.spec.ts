import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { Subject, type Subscription } from 'rxjs';
import type { CasbServiceConfig } from '../../../lib/config/collectorConfig';
import { createLogger } from '../../../lib/log/logger';
import { DevoReceiver } from '../../../lib/simulators/devoReceiver';
import type { ThrowawayPki } from '../../../lib/simulators/throwawayPki';
import { CasbClient } from '../../../lib/sources/casbClient';
import { sharedCasbClient } from '../../../lib/sources/sharedCasbClient';
import { casbService } from '../../../pipelines/casb/casb';
import { sharedPki } from '../../helpers/pki';
import { tempDir } from '../../helpers/tempDir';
import { waitFor } from '../../helpers/waitFor';
import { relaySender } from '../../helpers/relaySender';

const CREDENTIALS = { apiKey: 'casb-key-123456', clientId: 'client-1', clientSecret: 'casb-secret-abcdef' };

/** A CASB API whose events hold one record: `children` additionalProperties and a `siblingBytes` sibling field. */
function hugeRecordApi(children: number, siblingBytes: number): Server {
  const event = {
    eventId: 'huge-1',
    timestamp: '2024-01-01T00:00:00Z',
    blob: 'x'.repeat(siblingBytes),
    additionalProperties: Array.from({ length: children }, (_, i) => ({ n: i })),
  };
  const page = JSON.stringify({ size: 1, nextPageToken: 'after-huge', content: [event] });
  return createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/v1/auth') res.end(JSON.stringify({ auth_token: 'tok-1', expires_in: 3600 }));
      else if (req.url?.startsWith('/v2/events?startTime=') === true) res.end(page);
      else res.end(JSON.stringify({ size: 0, nextPageToken: 'after-huge', content: [] }));
    });
  });
}

describe('CASB: one record that flattens into many large lines (a real API server and relay on loopback)', function () {
  this.timeout(120_000);
  let pki: ThrowawayPki;
  const cleanup: Array<() => Promise<void> | void> = [];

  before(async () => {
    pki = await sharedPki();
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('flattens lazily through the bounded valve: 20 000 additionalProperties beside a 16 KiB field are all delivered, and memory stays bounded', async () => {
    const children = 20_000;
    const { dir, remove } = await tempDir();
    cleanup.push(remove);
    const api = hugeRecordApi(children, 16 * 1024);
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          api.closeAllConnections();
          api.close(() => resolve());
        }),
    );
    const seen = new Uint8Array(children);
    let lines = 0;
    let odd = 0;
    const relay = await DevoReceiver.start({
      ca: pki.ca.cert,
      cert: pki.server.cert,
      key: pki.server.key,
      onLine: (line) => {
        lines++;
        const m = /"additionalProperties_index":(\d+)/.exec(line);
        if (m === null || !line.includes('x'.repeat(16 * 1024))) odd++;
        else seen[Number(m[1])]! += 1;
      },
    });
    cleanup.push(() => relay.stop());
    const sender = relaySender(pki, relay.port, { confirmAfterMs: 300 });
    cleanup.push(() => sender.close(1000));
    const baseUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
    const client = sharedCasbClient(() => new CasbClient({ baseUrl, ...CREDENTIALS, requestsPerSecond: 50, logger: createLogger({ write: () => undefined }) }));
    const service: CasbServiceConfig = {
      name: 'events',
      requestPeriodMs: 60_000,
      tag: 'casb.proofpoint.event',
      initialStartTime: Date.UTC(2024, 0, 1),
      dedupMaxBytes: 16 * 1024 * 1024,
    };
    const logs: string[] = [];
    const stop$ = new Subject<void>();
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    cleanup.push(() => clearInterval(sampler));
    const subscription: Subscription = casbService(
      { inputId: '9', enabled: true, ...CREDENTIALS, urlBase: baseUrl, requestsPerSecond: 50, requestsLimits: [], services: [service] },
      service,
      {
        writer: sender,
        logger: createLogger({ write: (l) => logs.push(l) }),
        client,
        stateDirectory: dir,
        hostname: 'casb-host',
      },
    )
      .run(stop$)
      .subscribe({ error: (e: unknown) => logs.push(`PIPELINE ERROR ${String(e)}`) });
    cleanup.push(() => subscription.unsubscribe());
    await waitFor(() => lines >= children || logs.some((l) => l.startsWith('PIPELINE ERROR')), 'every flattened line', 90_000);
    clearInterval(sampler);
    const growthMiB = (peak - rssBefore) / 1048576;
    expect(logs.filter((l) => l.startsWith('PIPELINE ERROR'))).to.deep.equal([]);
    expect(odd, 'lines without their index and sibling').to.equal(0);
    expect(
      seen.every((n) => n >= 1),
      'every child delivered',
    ).to.equal(true);
    // 20 000 lines of 16 KiB are 320 MiB: assembled at once, they cost more than that.
    expect(growthMiB, 'peak RSS growth, MiB').to.be.lessThan(160);
  });
});
