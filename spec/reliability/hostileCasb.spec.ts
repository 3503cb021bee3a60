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
import { sharedCasbClient } from '../../lib/sources/sharedCasbClient';
import { casbService, casbStateBase } from '../../pipelines/casb/casb';
import { casbRecordKey } from '../helpers/collectorFixture';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { sleep, waitFor } from '../helpers/waitFor';
import { relaySender } from '../helpers/relaySender';

const CREDENTIALS = { apiKey: 'hostile-key-123456', clientId: 'c', clientSecret: 'hostile-secret-abcdef' };
const FUTURE = Date.UTC(2099, 0, 1);
const START = Date.UTC(2024, 0, 1);

type Alert = { id?: string; eventId?: string; timestamp: number };
type Event = { eventId?: string; id?: string; timestamp: string };
/** An answer of `GET /v2/events`, as the API gives it. */
type EventsPage = { size: number; nextPageToken: string; content: Event[] };

/**
 * A CASB API stand-in that serves what each test scripts: alerts filtered by the requested window
 * (plus, once, one stamped in 2099 whatever the window), events by page token (`GET /v2/events`
 * with `startTime` or `nextPage`). It records the requests.
 */
class HostileCasb {
  readonly alertWindows: Array<{ from: number; to: number }> = [];
  readonly eventRequests: Array<{ method: string; startTime: string | null; nextPage: string | null }> = [];
  alerts: Alert[] = [];
  futureAlertServed = false;
  eventPages: Record<string, EventsPage | 'refuse'> = {};
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<HostileCasb> {
    const server = http.createServer();
    const casb = new HostileCasb(server);
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => casb.answer(req.method ?? '', req.url ?? '', body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return casb;
  }

  private answer(method: string, url: string, body: string, res: http.ServerResponse): void {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const { pathname, searchParams } = new URL(url, 'http://localhost');
    if (pathname === '/v2/events') {
      const startTime = searchParams.get('startTime');
      const nextPage = searchParams.get('nextPage');
      this.eventRequests.push({ method, startTime, nextPage });
      if (method !== 'GET') return json(405, { error: 'Method Not Allowed' });
      const page = this.eventPages[nextPage ?? `start:${String(startTime)}`];
      if (page === 'refuse') return json(400, { error: 'invalid page token' });
      return json(200, page ?? { size: 0, nextPageToken: nextPage ?? 'tok-start', content: [] });
    }
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
    relay = await RelayLog.start(pki, casbRecordKey);
    sender = relaySender(pki, relay.port, { confirmAfterMs: 200 });
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
    const input: CasbInputConfig = {
      inputId: '9',
      enabled: true,
      ...CREDENTIALS,
      urlBase: casb.url,
      requestsPerSecond: 50,
      requestsLimits: [],
      services: [service],
    };
    const client = sharedCasbClient(
      () => new CasbClient({ baseUrl: casb.url, ...CREDENTIALS, requestsPerSecond: 50, backoffInitialMs: 20, backoffMaxMs: 100 }),
    );
    const stop$ = new Subject<void>();
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    running.push(
      casbService(input, service, {
        writer: sender,
        logger: createLogger({ write: (l) => logs.push(l) }),
        client,
        stateDirectory: dir,
        hostname: 'h',
        batch: { maxDelayMs: 20 },
      })
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
      JSON.stringify({
        version: 1,
        state: { initial_start_time_in_utc: '2024-01-01T00:00:00Z', last_event_time_in_utc: '2099-01-01T00:00:00Z', last_ids: ['x'] },
      }),
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
      'start:2024-01-01T00:00:00Z': {
        size: 2,
        nextPageToken: 'tok-next',
        content: [
          { eventId: 'flevent_1', timestamp: real },
          { eventId: 'flevent_2099', timestamp: '2099-01-01T00:00:00.000Z' },
        ],
      },
      'tok-next': 'refuse',
    };
    const stop = run(service('events'));
    await waitFor(() => casb.eventRequests.some((r) => r.nextPage === null && r.startTime !== '2024-01-01T00:00:00Z'), 'a request resuming from startTime');
    await stop();
    expect(casb.eventRequests.every((r) => r.method === 'GET')).to.equal(true);
    expect(casb.eventRequests[1]).to.deep.equal({ method: 'GET', startTime: null, nextPage: 'tok-next' });
    const resumed = casb.eventRequests.find((r) => r.nextPage === null && r.startTime !== '2024-01-01T00:00:00Z')!;
    expect(resumed.startTime).to.equal('2024-06-01T10:00:00Z');
    expect(relay.counts.get('flevent_1')).to.be.at.least(1);
    const state = JSON.parse(await readFile(`${casbStateBase(dir, '9', 'events')}.json`, 'utf8')) as { state: { start_time_in_utc: string } };
    expect(Date.parse(state.state.start_time_in_utc)).to.be.at.most(Date.now());
  });

  /** Polls the state files of a service until `ready` holds of them (or 5 s pass), and returns them. */
  async function storedWhen(
    name: 'alerts' | 'events',
    ready: (files: Awaited<ReturnType<typeof stored>>) => boolean,
  ): Promise<Awaited<ReturnType<typeof stored>>> {
    let files = await stored(name);
    for (const deadline = Date.now() + 5000; !ready(files) && Date.now() < deadline; files = await stored(name)) await sleep(20);
    return files;
  }

  /** The journal's keys and the dead letters of a service. */
  async function stored(name: 'alerts' | 'events'): Promise<{ journal: Set<string>; dead: Array<{ reason: string; record: string }> }> {
    const lines = async (suffix: string) =>
      (await readFile(`${casbStateBase(dir, '9', name)}${suffix}`, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
    return {
      journal: new Set((await lines('.dedup.jsonl')).map((l) => (JSON.parse(l) as [string, number])[0])),
      dead: (await lines('.deadletter.jsonl')).map((l) => JSON.parse(l) as { reason: string; record: string }),
    };
  }

  it('events are de-duplicated and acknowledged on eventId, not id; one without eventId is dead-lettered naming eventId', async () => {
    const at = '2024-06-01T10:00:00.000Z';
    casb.eventPages = {
      'start:2024-01-01T00:00:00Z': {
        size: 3,
        nextPageToken: 'p2',
        content: [
          { eventId: 'flevent_a', id: 'same', timestamp: at },
          { eventId: 'flevent_b', id: 'same', timestamp: at },
          { id: 'no-event-id', timestamp: at },
        ],
      },
      p2: {
        size: 2,
        nextPageToken: 'p3',
        content: [
          { eventId: 'flevent_a', id: 'other', timestamp: at },
          { eventId: 'flevent_c', timestamp: at },
        ],
      },
    };
    const stop = run(service('events'));
    await waitFor(
      () => relay.counts.has('flevent_c') && casb.eventRequests.some((r) => r.nextPage === 'p3'),
      'the second page delivered and the caught-up page',
    );
    await storedWhen('events', (f) => f.dead.length > 0 && f.journal.size >= 3);
    await stop();
    const files = await stored('events');
    expect(Object.fromEntries(relay.counts)).to.deep.equal({ flevent_a: 1, flevent_b: 1, flevent_c: 1 });
    expect(files.journal).to.deep.equal(new Set(['flevent_a', 'flevent_b', 'flevent_c']));
    expect(files.dead).to.have.length(1);
    expect(files.dead[0]!.reason).to.equal("no eventId (the record's unique key)");
    expect(files.dead[0]!.record).to.include('no-event-id');
  });

  it('alerts stay keyed on id: one without id is dead-lettered naming id, an eventId does not make two alerts one', async () => {
    const t = START + 3_600_000;
    casb.futureAlertServed = true;
    casb.alerts = [
      { id: 'a-1', eventId: 'flevent_x', timestamp: t },
      { id: 'a-2', eventId: 'flevent_x', timestamp: t },
      { eventId: 'flevent_y', timestamp: t },
    ];
    const stop = run(service('alerts'));
    await waitFor(() => relay.lines.length >= 2, 'both alerts with an id');
    await storedWhen('alerts', (f) => f.dead.length > 0 && f.journal.size >= 2);
    await stop();
    const files = await stored('alerts');
    // By id explicitly: the relay's casbRecordKey reads an eventId first, which these alerts carry.
    expect(relay.lines.map((l) => (JSON.parse(l.body) as { id?: string }).id).sort()).to.deep.equal(['a-1', 'a-2']);
    expect(files.journal).to.deep.equal(new Set(['a-1', 'a-2']));
    expect(files.dead).to.have.length(1);
    expect(files.dead[0]!.reason).to.equal("no id (the record's unique key)");
    expect(files.dead[0]!.record).to.include('flevent_y');
  });
});
