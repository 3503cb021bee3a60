import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { Subject, type Subscription } from 'rxjs';
import type { CasbInputConfig, CasbServiceConfig, CollectorConfig } from '../../../lib/config/collectorConfig';
import { createLogger, silentLogger } from '../../../lib/log/logger';
import { flattenRecord, type JsonObject } from '../../../lib/operators/flatten';
import { casbAlert, casbEvent, casbRecordTime, type CasbTimeline } from '../../../lib/simulators/casbRecords';
import { CasbSimulator, type CasbSimulatorOptions } from '../../../lib/simulators/casbSimulator';
import type { ThrowawayPki } from '../../../lib/simulators/throwawayPki';
import { DevoSender } from '../../../lib/sinks/devoSender';
import { CasbClient } from '../../../lib/sources/casbClient';
import { sharedCasbClient, type SharedCasbClient } from '../../../lib/sources/sharedCasbClient';
import { casbService, casbStateBase } from '../../../pipelines/casb/casb';
import { casbServices } from '../../../pipelines/casb/casbServices';
import { isoUtc } from '../../../pipelines/casb/casbState';
import { casbRecordKey, lineKey } from '../../helpers/collectorFixture';
import { sharedPki } from '../../helpers/pki';
import { RelayLog } from '../../helpers/relayLog';
import { tempDir } from '../../helpers/tempDir';
import { sleep, waitFor } from '../../helpers/waitFor';
import { relaySender } from '../../helpers/relaySender';

const CREDENTIALS = { apiKey: 'casb-key-123456', clientId: 'client-1', clientSecret: 'casb-secret-abcdef' };

/** The exact Devo bodies expected for a parent record: its flattened records, without the pulling id. */
function expectedBodies(parent: JsonObject, field: string): string[] {
  return flattenRecord(parent, field).map((r) => JSON.stringify(r));
}

/** A received body with its `@devo_pulling_id` removed (checked separately). */
function withoutPullingId(body: string): string {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  expect(parsed['@devo_pulling_id']).to.match(/^\d{13}$/);
  delete parsed['@devo_pulling_id'];
  return JSON.stringify(parsed);
}

describe('CASB pipelines end to end (simulator → pipeline → mutual-TLS relay)', function () {
  this.timeout(60_000);
  let pki: ThrowawayPki;
  let dir: string;
  let remove: () => Promise<void>;
  let sim: CasbSimulator;
  let relay: RelayLog;
  let sender: DevoSender;
  let logs: string[];
  let client: SharedCasbClient;
  const running: Subscription[] = [];

  before(async () => {
    pki = await sharedPki();
  });
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    logs = [];
    // Key each line by its record's key (alerts' id, events' eventId) and flattening index: a flattened parent gives several distinct lines.
    relay = await RelayLog.start(pki, lineKey);
    sender = relaySender(pki, relay.port, { confirmAfterMs: 300 });
  });
  afterEach(async () => {
    for (const s of running.splice(0)) s.unsubscribe();
    await sender.close(1000);
    await sim.stop();
    await relay.stop();
    await remove();
  });

  async function simulate(options: Partial<CasbSimulatorOptions>): Promise<void> {
    sim = await CasbSimulator.start({ ...CREDENTIALS, mode: 'backlog', ...options });
    client = sharedCasbClient(
      () =>
        new CasbClient({
          baseUrl: sim.url,
          ...CREDENTIALS,
          requestsPerSecond: 50,
          backoffInitialMs: 20,
          backoffMaxMs: 200,
          renewBeforeMs: 0,
          logger: createLogger({ write: (l) => logs.push(l) }),
        }),
    );
  }

  function input(services: CasbServiceConfig[]): CasbInputConfig {
    return { inputId: '9', enabled: true, ...CREDENTIALS, urlBase: sim.url, requestsPerSecond: 50, requestsLimits: [], services };
  }

  function run(service: CasbServiceConfig) {
    const stop$ = new Subject<void>();
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const subscription = casbService(input([service]), service, {
      writer: sender,
      logger: createLogger({ write: (l) => logs.push(l) }),
      client,
      stateDirectory: dir,
      hostname: 'casb-host',
      batch: { maxDelayMs: 20 },
    })
      .run(stop$)
      .subscribe({ complete: () => finished(), error: (e: unknown) => logs.push(`PIPELINE ERROR ${String(e)}`) });
    running.push(subscription);
    return {
      stop: async () => {
        stop$.next();
        stop$.complete();
        await done;
      },
      crash: () => subscription.unsubscribe(),
    };
  }

  const alerts = (initialStartTime: number, requestPeriodMs = 60_000): CasbServiceConfig => ({
    name: 'alerts',
    requestPeriodMs,
    tag: 'casb.proofpoint.alert',
    initialStartTime,
    dedupMaxBytes: 64 * 1024 * 1024,
  });
  const events = (initialStartTime: number, requestPeriodMs = 60_000): CasbServiceConfig => ({
    name: 'events',
    requestPeriodMs,
    tag: 'casb.proofpoint.event',
    initialStartTime,
    dedupMaxBytes: 64 * 1024 * 1024,
  });

  it('delivers every alert and event once, flattened exactly as specified, through token expiry, 429s and 5xx', async () => {
    const alertTimeline: CasbTimeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1000, sameTimestampGroup: 3 };
    const eventTimeline: CasbTimeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 700 };
    await simulate({
      alerts: { timeline: alertTimeline, total: 260 },
      events: { timeline: eventTimeline, total: 330 },
      tokenTtlSeconds: 1,
      rateLimitEvery: 7,
      failEvery: 11,
    });
    const expectedAlerts = Array.from({ length: 260 }, (_, i) => expectedBodies(casbAlert(i, alertTimeline), 'related_events')).flat();
    const expectedEvents = Array.from({ length: 330 }, (_, i) => expectedBodies(casbEvent(i, eventTimeline), 'additionalProperties')).flat();
    const a = run(alerts(Date.UTC(2024, 0, 1)));
    const e = run(events(Date.UTC(2024, 0, 1)));
    await waitFor(() => relay.lines.length >= expectedAlerts.length + expectedEvents.length, 'every record', 45_000);
    await sleep(300);
    await a.stop();
    await e.stop();

    expect(relay.duplicates).to.equal(0);
    const alertLines = relay.lines.filter((l) => l.tag === 'casb.proofpoint.alert');
    const eventLines = relay.lines.filter((l) => l.tag === 'casb.proofpoint.event');
    expect(alertLines.map((l) => withoutPullingId(l.body)).sort()).to.deep.equal([...expectedAlerts].sort());
    expect(eventLines.map((l) => withoutPullingId(l.body)).sort()).to.deep.equal([...expectedEvents].sort());
    for (const line of relay.lines) {
      expect(line.host).to.equal('casb-host');
      expect(line.time).to.equal(new Date((JSON.parse(line.body) as { timestamp: number | string }).timestamp).toISOString());
    }
    // Events carry the API's ISO timestamp, which is the line's time as it is.
    for (const line of eventLines) expect(line.time).to.equal((JSON.parse(line.body) as { timestamp: string }).timestamp);
    // Events were de-duplicated and acknowledged on eventId: their journal holds exactly those keys.
    const eventJournal = await readFile(`${casbStateBase(dir, '9', 'events')}.dedup.jsonl`, 'utf8');
    const journalled = new Set(
      eventJournal
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as [string, number])[0]),
    );
    expect(journalled).to.deep.equal(new Set(Array.from({ length: 330 }, (_, i) => String(casbEvent(i, eventTimeline)['eventId']))));
    // The flattened shape: parent fields, the child in place, then index and count, then the pulling id.
    const flat = alertLines.map((l) => JSON.parse(l.body) as Record<string, unknown>).find((r) => r['related_events_count'] === 3)!;
    expect(Object.keys(flat).slice(-3)).to.deep.equal(['related_events_index', 'related_events_count', '@devo_pulling_id']);
    // Events flatten on additionalProperties: one line per { key, value }, the camelCase fields kept.
    const flatEvents = eventLines.map((l) => JSON.parse(l.body) as Record<string, unknown>).filter((r) => r['additionalProperties_count'] === 2);
    expect(flatEvents.length).to.be.greaterThan(0);
    for (const event of flatEvents) {
      expect(Object.keys(event).slice(0, 3)).to.deep.equal(['eventId', 'cloudService', 'timestamp']);
      expect(Object.keys(event).slice(-4)).to.deep.equal([
        'additionalProperties',
        'additionalProperties_index',
        'additionalProperties_count',
        '@devo_pulling_id',
      ]);
      expect(event['additionalProperties']).to.have.keys('key', 'value');
    }
    expect(new Set(flatEvents.map((e) => e['additionalProperties_index']))).to.deep.equal(new Set([0, 1]));

    const stats = sim.stats;
    expect(stats.rateLimited).to.be.greaterThan(0);
    expect(stats.failures).to.be.greaterThan(0);
    expect(stats.tokensIssued).to.be.greaterThan(1);
    expect(
      logs.some((l) =>
        /\(Partial\) Statistics for this pull cycle \(@devo_pulling_id=\d+\):Number of requests made: \d+; Number of events received: \d+/.test(l),
      ),
    ).to.equal(true);
    expect(
      logs.some((l) => /Statistics for this pull cycle \(@devo_pulling_id=\d+\):Number of requests made: 7; Number of events received: 330;/.test(l)),
    ).to.equal(true);
    expect(logs.some((l) => /-> The data is up to date!$/.test(l))).to.equal(true);
    expect(logs.some((l) => /Data collection completed\. Elapsed time: [\d.]+ seconds\. Waiting for [\d.]+ second\(s\) until the next one/.test(l))).to.equal(
      true,
    );

    const saved = JSON.parse(await readFile(`${casbStateBase(dir, '9', 'alerts')}.json`, 'utf8')) as { version: number; state: Record<string, unknown> };
    const last = casbRecordTime(alertTimeline, 259);
    expect(saved.version).to.equal(1);
    expect(saved.state).to.include({ initial_start_time_in_utc: '2024-01-01T00:00:00Z', last_event_time_in_utc: isoUtc(last) });
    // The ids at the last timestamp (a group of 3 alerts shares it): the next window skips them.
    expect(new Set(saved.state['last_ids'] as string[])).to.deep.equal(
      new Set([257, 258, 259].filter((i) => casbRecordTime(alertTimeline, i) === last).map((i) => casbAlert(i, alertTimeline)['id'])),
    );
    expect(JSON.stringify(logs)).not.to.include(CREDENTIALS.clientSecret);
  });

  it('a clean restart mid-window neither loses nor duplicates', async () => {
    const timeline: CasbTimeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1000 };
    await simulate({ alerts: { timeline, total: 1500 }, events: { timeline, total: 1500 } });
    const expectedAlerts = Array.from({ length: 1500 }, (_, i) => expectedBodies(casbAlert(i, timeline), 'related_events')).flat().length;
    const expectedEvents = Array.from({ length: 1500 }, (_, i) => expectedBodies(casbEvent(i, timeline), 'additionalProperties')).flat().length;
    let a = run(alerts(timeline.startTime));
    let e = run(events(timeline.startTime));
    await waitFor(() => relay.lines.length >= 800, 'a few pages', 20_000);
    await a.stop();
    await e.stop();
    const before = relay.lines.length;
    expect(before).to.be.lessThan(expectedAlerts + expectedEvents);
    a = run(alerts(timeline.startTime));
    e = run(events(timeline.startTime));
    await waitFor(() => relay.lines.length >= expectedAlerts + expectedEvents, 'every record', 40_000);
    await sleep(300);
    await a.stop();
    await e.stop();
    expect(relay.lines.length).to.equal(expectedAlerts + expectedEvents);
    expect(relay.duplicates).to.equal(0);
  });

  it('after a crash, loses nothing and re-delivers at most the records of uncommitted pages', async () => {
    const timeline: CasbTimeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1000 };
    await simulate({ alerts: { timeline, total: 1500 }, events: { timeline, total: 1500 } });
    const expected = Array.from({ length: 1500 }, (_, i) => [
      ...expectedBodies(casbAlert(i, timeline), 'related_events'),
      ...expectedBodies(casbEvent(i, timeline), 'additionalProperties'),
    ]).flat().length;
    let a = run(alerts(timeline.startTime));
    let e = run(events(timeline.startTime));
    await waitFor(() => relay.lines.length >= 1200, 'a few pages', 20_000);
    a.crash();
    e.crash();
    await sleep(300);
    const committed = new Set<string>();
    for (const service of ['alerts', 'events']) {
      const journal = await readFile(`${casbStateBase(dir, '9', service)}.dedup.jsonl`, 'utf8').catch(() => '');
      for (const line of journal.split('\n').filter((l) => l !== '')) committed.add((JSON.parse(line) as [string, number])[0]);
    }
    const uncommitted = relay.lines.filter((l) => !committed.has(casbRecordKey(JSON.parse(l.body) as Record<string, unknown>))).length;
    a = run(alerts(timeline.startTime));
    e = run(events(timeline.startTime));
    await waitFor(() => relay.unique >= expected, 'every record', 40_000);
    await sleep(300);
    await a.stop();
    await e.stop();
    expect(relay.unique).to.equal(expected);
    expect(relay.duplicates).to.be.at.most(uncommitted);
    console.log(`      crash: ${expected} records, ${uncommitted} delivered in uncommitted pages at the crash, ${relay.duplicates} re-delivered`);
  });

  it('skips the alerts of last_ids at the start of the next, inclusive window', async () => {
    // Realtime: groups of 3 alerts share a timestamp; every cycle's window starts at the last one.
    const timeline: CasbTimeline = { startTime: Date.now() - 2_000, intervalMs: 400, sameTimestampGroup: 3 };
    await simulate({ mode: 'realtime', alerts: { timeline, total: 30 } });
    const a = run(alerts(timeline.startTime, 500));
    const expected = Array.from({ length: 30 }, (_, i) => expectedBodies(casbAlert(i, timeline), 'related_events').length).reduce((x, y) => x + y, 0);
    await waitFor(() => relay.lines.length >= expected, 'every alert', 20_000);
    await sleep(1200);
    await a.stop();
    expect(relay.lines.length).to.equal(expected);
    expect(relay.duplicates).to.equal(0);
    const skipped = logs
      .filter((l) => /-> Statistics for this pull cycle/.test(l))
      .map((l) => Number(/Number of duplicated events filtered out: (\d+)/.exec(l)![1]));
    expect(
      skipped.slice(1).every((n) => n === 3),
      `each later cycle skips the 3 alerts of last_ids: ${skipped.join(',')}`,
    ).to.equal(true);
  });

  it('changing initial_start_time_in_utc resets the state and re-ingests from the new time', async () => {
    const timeline: CasbTimeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 60_000 };
    await simulate({ alerts: { timeline, total: 120 } });
    const perAlert = (i: number) => expectedBodies(casbAlert(i, timeline), 'related_events').length;
    const count = (from: number) => Array.from({ length: 120 - from }, (_, k) => perAlert(from + k)).reduce((x, y) => x + y, 0);
    let a = run(alerts(casbRecordTime(timeline, 60)));
    await waitFor(() => relay.lines.length >= count(60), 'the second half', 20_000);
    await sleep(200);
    await a.stop();
    expect(relay.lines.length).to.equal(count(60));
    a = run(alerts(casbRecordTime(timeline, 30)));
    await waitFor(() => relay.lines.length >= count(60) + count(30), 'a re-ingestion from alert 30', 20_000);
    await sleep(200);
    await a.stop();
    expect(relay.lines.length).to.equal(count(60) + count(30));
    expect(
      logs.some((l) =>
        l.includes(
          `Detected initial start time in UTC change: {'values_changed': {'root': {'new_value': '${isoUtc(casbRecordTime(timeline, 30))}', 'old_value': '${isoUtc(casbRecordTime(timeline, 60))}'}}}. Resetting state to {'initial_start_time_in_utc': '${isoUtc(casbRecordTime(timeline, 30))}', 'last_event_time_in_utc': '${isoUtc(casbRecordTime(timeline, 30))}', 'last_ids': []}`,
        ),
      ),
    ).to.equal(true);
  });
});

describe('casbServices', () => {
  const config = (services: Array<{ name: 'alerts' | 'events'; initialStartTime?: number }>) =>
    ({
      source: 'test',
      collector: { id: '1', name: 'n', debug: false, multiprocessing: false },
      stateDirectory: '/tmp/none',
      inFlight: { maxEvents: 10_000, maxBytes: 1 << 30 },
      output: { hostname: 'h', batch: { maxEvents: 1, maxBytes: 1, maxDelayMs: 1 } },
      outputs: [{ kind: 'devo', hostname: 'h', batch: { maxEvents: 1, maxBytes: 1, maxDelayMs: 1 } }],
      casb: {
        inputId: '1',
        enabled: true,
        apiKey: 'k',
        clientId: 'c',
        clientSecret: 's',
        urlBase: 'http://127.0.0.1:1',
        requestsPerSecond: 1,
        services: services.map((s) => ({ requestPeriodMs: 1000, tag: 'a.b', dedupMaxBytes: 1 << 20, ...s })),
      },
    }) as unknown as CollectorConfig;
  const writer = { send: () => ({ written: Promise.resolve(), delivered: Promise.resolve() }) };

  it('refuses an enabled input without services: ProofpointCasbInitVariablesError 1', () => {
    expect(() => casbServices(config([]), writer, silentLogger)).to.throw(
      /^ProofpointCasbInitVariablesError 1 \(error while reading the user config\): inputs\.proofpoint_casb\.services has no service/,
    );
  });

  it('refuses an initial start time in the future: ProofpointCasbInitVariablesError 2', () => {
    expect(() => casbServices(config([{ name: 'alerts', initialStartTime: Date.now() + 86_400_000 }]), writer, silentLogger)).to.throw(
      /^ProofpointCasbInitVariablesError 2 \(error while validating the user config\): inputs\.proofpoint_casb\.services\.alerts\.initial_start_time_in_utc \(.*\) is in the future/,
    );
  });

  it('gives one service per configured CASB service', () => {
    expect(casbServices(config([{ name: 'alerts' }, { name: 'events' }]), writer, silentLogger).map((s) => s.name)).to.deep.equal([
      'casb/alerts',
      'casb/events',
    ]);
  });
});
