import { expect } from 'chai';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Subject, type Subscription } from 'rxjs';
import type { CasbInputConfig, CasbServiceConfig } from '../../lib/config/collectorConfig';
import { createLogger } from '../../lib/log/logger';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { DevoSender } from '../../lib/sinks/devoSender';
import { CasbClient } from '../../lib/sources/casbClient';
import { casbService, casbStateBase, sharedCasbClient } from '../../pipelines/casb';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { waitFor } from '../helpers/waitFor';

const CREDENTIALS = { apiKey: 'hostile-key-123456', clientId: 'c', clientSecret: 'hostile-secret-abcdef' };
const FUTURE = Date.UTC(2099, 0, 1);
const START = Date.UTC(2024, 0, 1);

type Alert = { id: string; timestamp: number };
type Event = { id: string; timestamp: string };

/**
 * A CASB API stand-in that serves what each test scripts: alerts filtered by the requested window
 * (plus, once, one stamped in 2099 whatever the window), events by page token. It records the
 * requests.
 */
class HostileCasb {
  readonly alertWindows: Array<{ from: number; to: number }> = [];
  readonly eventRequests: Array<{ start_time: string; page_token?: string }> = [];
  alerts: Alert[] = [];
  futureAlertServed = false;
  eventPages: Record<string, { events: Event[]; next_page_token?: string } | 'refuse'> = {};
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<HostileCasb> {
    const server = http.createServer();
    const casb = new HostileCasb(server);
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => casb.answer(req.url ?? '', body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return casb;
  }

  private answer(url: string, body: string, res: http.ServerResponse): void {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const request = JSON.parse(body || '{}') as Record<string, unknown>;
    if (url === '/v1/auth') return json(200, { auth_token: 'tok-1', expires_in: 3600 });
    if (url === '/v1/alerts') {
      const range = request['time_range'] as { from: number; to: number };
      if (request['page'] === 0) this.alertWindows.push(range);
      const inWindow = this.alerts.filter((a) => a.timestamp >= range.from && a.timestamp <= range.to);
      if (!this.futureAlertServed) {
        this.futureAlertServed = true;
        inWindow.push({ id: 'alert-from-2099', timestamp: FUTURE });
      }
      return json(200, { alerts: request['page'] === 0 ? inWindow : [] });
    }
    if (url === '/v2/events') {
      this.eventRequests.push(request as { start_time: string; page_token?: string });
      const page = this.eventPages[typeof request['page_token'] === 'string' ? request['page_token'] : `start:${String(request['start_time'])}`];
      if (page === 'refuse') return json(400, { error: 'invalid page token' });
      return json(200, page ?? { events: [] });
    }
    return json(404, {});
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('a hostile CASB server', function () {
  this.timeout(30_000);
  let pki: ThrowawayPki;
  let dir: string;
  let remove: () => Promise<void>;
  let relay: RelayLog;
  let sender: DevoSender;
  let casb: HostileCasb;
  let logs: string[];
  const running: Subscription[] = [];

  before(async () => {
    pki = await sharedPki();
  });
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    logs = [];
    relay = await RelayLog.start(pki, (b) => String(b['id']));
    sender = new DevoSender({ host: 'localhost', port: relay.port, ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key, probationMs: 50, confirmAfterMs: 200 });
    casb = await HostileCasb.start();
  });
  afterEach(async () => {
    for (const s of running.splice(0)) s.unsubscribe();
    await sender.close(1000);
    await casb.stop();
    await relay.stop();
    await remove();
  });

  function run(service: CasbServiceConfig): () => Promise<void> {
    const input: CasbInputConfig = { inputId: '9', enabled: true, ...CREDENTIALS, urlBase: casb.url, requestsPerSecond: 50, requestsLimits: [], services: [service] };
    const client = sharedCasbClient(() => new CasbClient({ baseUrl: casb.url, ...CREDENTIALS, requestsPerSecond: 50, backoffInitialMs: 20, backoffMaxMs: 100 }));
    const stop$ = new Subject<void>();
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    running.push(
      casbService(input, service, { writer: sender, logger: createLogger({ write: (l) => logs.push(l) }), client, stateDirectory: dir, hostname: 'h', batch: { maxDelayMs: 20 } })
        .run(stop$)
        .subscribe({ complete: () => finished(), error: (e: unknown) => logs.push(`PIPELINE ERROR ${String(e)}`) }),
    );
    return async () => {
      stop$.next();
      stop$.complete();
      sender.drain();
      await done;
    };
  }

  const service = (name: 'alerts' | 'events'): CasbServiceConfig => ({
    name,
    requestPeriodMs: 300,
    tag: `casb.proofpoint.${name === 'alerts' ? 'alert' : 'event'}`,
    initialStartTime: START,
    dedupMaxBytes: 1 << 20,
  });

  it('an alert stamped in 2099 does not freeze the alerts cursor: later windows start no later than their pull, and later alerts arrive', async () => {
    casb.alerts = [{ id: 'a-1', timestamp: START + 3_600_000 }];
    const stop = run(service('alerts'));
    await waitFor(() => relay.unique === 2 && casb.alertWindows.length >= 2, 'the first window delivered, and a second window');
    casb.alerts.push({ id: 'a-2', timestamp: Date.now() });
    await waitFor(() => relay.counts.has('a-2'), 'an alert of a later window', 5000);
    await stop();
    for (const w of casb.alertWindows) expect(w.from).to.be.at.most(w.to);
    const state = JSON.parse(await readFile(`${casbStateBase(dir, '9', 'alerts')}.json`, 'utf8')) as { state: { last_event_time_in_utc: string } };
    expect(Date.parse(state.state.last_event_time_in_utc)).to.be.at.most(Date.now());
  });

  it('an alerts cursor already persisted in 2099 is pulled back to the pull time at start', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(
      `${casbStateBase(dir, '9', 'alerts')}.json`,
      JSON.stringify({ version: 1, state: { initial_start_time_in_utc: '2024-01-01T00:00:00Z', last_event_time_in_utc: '2099-01-01T00:00:00Z', last_ids: ['x'] } }),
    );
    casb.futureAlertServed = true;
    const stop = run(service('alerts'));
    await waitFor(() => casb.alertWindows.length >= 1, 'a window');
    casb.alerts.push({ id: 'a-new', timestamp: Date.now() + 50 });
    await waitFor(() => relay.counts.has('a-new'), 'a new alert', 5000);
    await stop();
    expect(casb.alertWindows[0]!.from).to.equal(casb.alertWindows[0]!.to);
  });

  it('an event stamped in 2099 does not move start_time_in_utc: a refused token resumes from the latest real event', async () => {
    const real = '2024-06-01T10:00:00.000Z';
    casb.eventPages = {
      'start:2024-01-01T00:00:00Z': { events: [{ id: 'e-1', timestamp: real }, { id: 'e-2099', timestamp: '2099-01-01T00:00:00.000Z' }], next_page_token: 'tok-next' },
      'tok-next': 'refuse',
    };
    const stop = run(service('events'));
    await waitFor(() => casb.eventRequests.some((r) => r.page_token === undefined && r.start_time !== '2024-01-01T00:00:00Z'), 'a request resuming from start_time');
    await stop();
    const resumed = casb.eventRequests.find((r) => r.page_token === undefined && r.start_time !== '2024-01-01T00:00:00Z')!;
    expect(resumed.start_time).to.equal('2024-06-01T10:00:00Z');
    const state = JSON.parse(await readFile(`${casbStateBase(dir, '9', 'events')}.json`, 'utf8')) as { state: { start_time_in_utc: string } };
    expect(Date.parse(state.state.start_time_in_utc)).to.be.at.most(Date.now());
  });
});
