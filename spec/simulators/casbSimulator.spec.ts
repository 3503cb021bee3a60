import { expect } from 'chai';
import { casbAlertId, casbAlertsInWindow, casbEventId, casbIndexAtOrAfter, casbRecordTime, type CasbTimeline } from '../../lib/simulators/casbRecords';
import { CasbSimulator, type CasbSimulatorOptions } from '../../lib/simulators/casbSimulator';
import { waitFor } from '../helpers/waitFor';

const API_KEY = 'test-api-key';
const CLIENT_ID = 'test-client';
const CLIENT_SECRET = 'test-secret';
/** A fixed "now" for the tests that drive the simulator's clock: 2024-05-22T12:30:00Z. */
const T0 = Date.UTC(2024, 4, 22, 12, 30, 0);
const alertTimeline: CasbTimeline = { startTime: T0, intervalMs: 1000, seed: 'alerts' };
const eventTimeline: CasbTimeline = { startTime: T0, intervalMs: 1000, seed: 'events' };

/** What the simulator's error answers carry. */
interface ErrorBody {
  readonly error?: string;
  readonly message?: string;
  readonly field?: string;
}
interface AuthBody {
  readonly auth_token: string;
  readonly expires_in: number;
}
interface Alert {
  readonly id: string;
  readonly timestamp: number;
}
interface Event {
  readonly eventId: string;
  readonly timestamp: string;
}
interface EventsBody {
  readonly size: number;
  readonly nextPageToken: string;
  readonly content: Event[];
}

interface Reply<T> {
  readonly status: number;
  readonly headers: Headers;
  /** The JSON answer (`{}` when empty), typed as the call's success body or an error body. */
  readonly body: T & ErrorBody;
}

let simulators: CasbSimulator[] = [];
let clock = T0;

async function start(options: Partial<CasbSimulatorOptions> = {}): Promise<CasbSimulator> {
  const sim = await CasbSimulator.start({ apiKey: API_KEY, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, now: () => clock, ...options });
  simulators.push(sim);
  return sim;
}

async function reply<T>(res: Response): Promise<Reply<T>> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text === '' ? {} : JSON.parse(text)) as T & ErrorBody };
}

/** A real POST over loopback with node's fetch; `body` is sent as JSON unless it is a string. */
async function post<T = ErrorBody>(sim: CasbSimulator, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  return reply<T>(
    await fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

/** A real GET over loopback with node's fetch (no body); `query` is the raw query string. */
async function get<T = ErrorBody>(sim: CasbSimulator, path: string, query: string, headers: Record<string, string> = {}): Promise<Reply<T>> {
  return reply<T>(await fetch(`${sim.url}${path}${query === '' ? '' : `?${query}`}`, { headers: { 'x-api-key': API_KEY, ...headers } }));
}

async function login(sim: CasbSimulator): Promise<string> {
  const res = await post<AuthBody>(sim, '/v1/auth', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
  expect(res.status).to.equal(200);
  return res.body.auth_token;
}

function alertsCall(sim: CasbSimulator, token: string, page: number, from: number, to: number): Promise<Reply<{ alerts: Alert[] }>> {
  return post(sim, '/v1/alerts', { page, time_range: { from, to } }, { authorization: token });
}

/** `GET /v2/events?startTime=…`, or `?nextPage=…` when there is a page token (as the collector asks). */
function eventsCall(sim: CasbSimulator, token: string, startTime: number, pageToken?: string): Promise<Reply<EventsBody>> {
  const query = pageToken === undefined ? `startTime=${new Date(startTime).toISOString()}` : `nextPage=${encodeURIComponent(pageToken)}`;
  return get(sim, '/v2/events', query, { authorization: token });
}

const ids = (records: ReadonlyArray<{ id: string }>) => records.map((r) => r.id);
const eventIdsOf = (events: readonly Event[]) => events.map((e) => e.eventId);
const alertIds = (indexes: number[], seed = 'alerts') => indexes.map((i) => casbAlertId(i, seed));
const eventIds = (from: number, to: number, seed = 'events') => Array.from({ length: to - from }, (_, k) => casbEventId(from + k, seed));

/** The status of a call, or `reset` when the connection was reset. */
async function outcome(call: Promise<Reply<unknown>>): Promise<number | 'reset'> {
  try {
    return (await call).status;
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    expect(code, String(err)).to.be.oneOf(['ECONNRESET', 'UND_ERR_SOCKET']);
    return 'reset';
  }
}

describe('CasbSimulator (real HTTP on loopback)', function () {
  this.timeout(10_000);

  beforeEach(() => {
    clock = T0;
  });

  afterEach(async () => {
    await Promise.all(simulators.map((sim) => sim.stop()));
    simulators = [];
  });

  describe('authentication', () => {
    it('issues a new token with expires_in for the right credentials', async () => {
      const sim = await start({ tokenTtlSeconds: 120 });
      expect(sim.url).to.equal(`http://127.0.0.1:${sim.port}`);
      const first = await post<AuthBody>(sim, '/v1/auth', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
      const second = await post<AuthBody>(sim, '/v1/auth', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
      expect(first.status).to.equal(200);
      expect(first.headers.get('content-type')).to.match(/^application\/json/);
      expect(first.body).to.have.keys('auth_token', 'expires_in');
      expect(first.body.expires_in).to.equal(120);
      expect(first.body.auth_token).to.be.a('string').with.length.above(20);
      expect(second.body.auth_token).not.to.equal(first.body.auth_token);
      expect(sim.stats.tokensIssued).to.equal(2);
    });

    it('answers 401 to wrong credentials and 400 to a bad body', async () => {
      const sim = await start();
      expect((await post(sim, '/v1/auth', { client_id: CLIENT_ID, client_secret: 'nope' })).status).to.equal(401);
      expect((await post(sim, '/v1/auth', { client_id: 'nope', client_secret: CLIENT_SECRET })).status).to.equal(401);
      const missing = await post(sim, '/v1/auth', { client_id: CLIENT_ID });
      expect(missing.status).to.equal(400);
      expect(missing.body).to.include({ error: 'Bad Request', field: 'client_secret' });
      const malformed = await post(sim, '/v1/auth', '{"client_id":');
      expect(malformed.status).to.equal(400);
      expect(malformed.body).to.include({ field: 'body' });
      expect((await post(sim, '/v1/auth', '[1, 2]')).body).to.include({ field: 'body' });
      expect((await post(sim, '/v1/auth', '')).status).to.equal(400);
      expect(sim.stats.tokensIssued).to.equal(0);
    });

    it('answers 403 { error: "Forbidden" } to any call without the right x-api-key', async () => {
      const sim = await start();
      const token = await login(sim);
      const calls: Array<[string, string, unknown]> = [
        ['POST', '/v1/auth', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET }],
        ['POST', '/v1/alerts', { page: 0, time_range: { from: 0, to: T0 } }],
        ['GET', '/v2/events?startTime=2024-05-22T12:00:00Z', undefined],
        ['POST', '/nowhere', {}],
      ];
      for (const [method, path, body] of calls) {
        const init = (headers: Record<string, string>): RequestInit => ({
          method,
          headers: { authorization: token, ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const res = await fetch(`${sim.url}${path}`, init({}));
        expect(res.status, path).to.equal(403);
        expect(await res.json()).to.deep.equal({ error: 'Forbidden' });
        expect((await fetch(`${sim.url}${path}`, init({ 'x-api-key': 'wrong' }))).status, path).to.equal(403);
      }
      expect(sim.stats.responses).to.deep.equal({ 200: 1, 403: 8 });
    });

    it("answers 404 (JSON) to other paths, 405 with Allow to another method than the call's", async () => {
      const sim = await start();
      const other = await post(sim, '/v1/events', {});
      expect(other.status).to.equal(404);
      expect(other.body.error).to.equal('Not Found');
      expect((await get(sim, '/v1/events', '')).status).to.equal(404);
      const getAlerts = await get(sim, '/v1/alerts', '');
      expect(getAlerts.status).to.equal(405);
      expect(getAlerts.headers.get('allow')).to.equal('POST');
      expect(getAlerts.body.error).to.equal('Method Not Allowed');
      expect((await get(sim, '/v1/auth', '')).headers.get('allow')).to.equal('POST');
      expect(sim.stats.requests).to.deep.equal({ '/v1/events': 2, '/v1/alerts': 1, '/v1/auth': 1 });
      expect(sim.stats.responses).to.deep.equal({ 404: 2, 405: 2 });
    });

    it('answers 401 without a token, with "Bearer <token>" or an unknown token; the raw token works', async () => {
      const sim = await start({ mode: 'backlog', alerts: { timeline: alertTimeline, total: 3 } });
      const token = await login(sim);
      const body = { page: 0, time_range: { from: 0, to: T0 + 10_000 } };
      expect((await post(sim, '/v1/alerts', body)).status).to.equal(401);
      expect((await post(sim, '/v1/alerts', body, { authorization: `Bearer ${token}` })).status).to.equal(401);
      expect((await post(sim, '/v1/alerts', body, { authorization: 'made-up' })).status).to.equal(401);
      expect((await get(sim, '/v2/events', 'startTime=2024-05-22T12:00:00Z', { authorization: `Bearer ${token}` })).status).to.equal(401);
      const ok = await post<{ alerts: Alert[] }>(sim, '/v1/alerts', body, { authorization: token });
      expect(ok.status).to.equal(200);
      expect(ok.body.alerts).to.have.length(3);
    });

    it('expires a token tokenTtlSeconds after it was issued (simulator clock)', async () => {
      const sim = await start({ tokenTtlSeconds: 60, mode: 'backlog', events: { timeline: eventTimeline, total: 1 } });
      const token = await login(sim);
      clock = T0 + 59_999;
      expect((await eventsCall(sim, token, T0)).status).to.equal(200);
      clock = T0 + 60_000;
      const expired = await eventsCall(sim, token, T0);
      expect(expired.status).to.equal(401);
      expect(expired.body.error).to.equal('Unauthorized');
      const fresh = await login(sim);
      expect((await eventsCall(sim, fresh, T0)).status).to.equal(200);
      expect((await eventsCall(sim, token, T0)).status).to.equal(401);
    });
  });

  describe('POST /v1/alerts', () => {
    it('pages the window newest first, exactly 50 a page, then a short page and an empty one', async () => {
      const sim = await start({ mode: 'backlog', alerts: { timeline: alertTimeline, total: 120 } });
      const token = await login(sim);
      const from = T0;
      const to = T0 + 200_000;
      const pages: Alert[][] = [];
      for (let page = 0; page < 4; page++) {
        const res = await alertsCall(sim, token, page, from, to);
        expect(res.status).to.equal(200);
        expect(res.body).to.have.keys('alerts');
        pages.push(res.body.alerts);
      }
      expect(pages.map((p) => p.length)).to.deep.equal([50, 50, 20, 0]);
      const all = pages.flat();
      expect(ids(all)).to.deep.equal(alertIds(casbAlertsInWindow(sim.alertStream, from, to)));
      expect(ids(all)[0]).to.equal(casbAlertId(119, 'alerts'));
      expect(ids(all)[119]).to.equal(casbAlertId(0, 'alerts'));
      for (let i = 1; i < all.length; i++) expect(all[i]!.timestamp).to.be.below(all[i - 1]!.timestamp);
      expect(sim.stats.alertsServed).to.equal(120);
    });

    it('includes both ends of the window', async () => {
      const sim = await start({ mode: 'backlog', alerts: { timeline: alertTimeline, total: 100 } });
      const token = await login(sim);
      const at = (i: number) => casbRecordTime(alertTimeline, i);
      expect(ids((await alertsCall(sim, token, 0, at(10), at(20))).body.alerts)).to.deep.equal(alertIds([20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10]));
      expect(ids((await alertsCall(sim, token, 0, at(10) + 1, at(20) - 1)).body.alerts)).to.deep.equal(alertIds([19, 18, 17, 16, 15, 14, 13, 12, 11]));
      expect(ids((await alertsCall(sim, token, 0, at(7), at(7))).body.alerts)).to.deep.equal(alertIds([7]));
      expect((await alertsCall(sim, token, 0, at(7) + 1, at(8) - 1)).body.alerts).to.deep.equal([]);
    });

    it('serves alerts that share a timestamp higher index first, across page boundaries', async () => {
      const timeline = { ...alertTimeline, sameTimestampGroup: 7 };
      const sim = await start({ mode: 'backlog', alerts: { timeline, total: 140 } });
      const token = await login(sim);
      const sameTime = await alertsCall(sim, token, 0, casbRecordTime(timeline, 7), casbRecordTime(timeline, 13));
      expect(ids(sameTime.body.alerts)).to.deep.equal(alertIds([13, 12, 11, 10, 9, 8, 7]));
      expect(new Set(sameTime.body.alerts.map((a) => a.timestamp)).size).to.equal(1);
      const to = casbRecordTime(timeline, 139);
      const pages: Alert[] = [];
      for (let page = 0; page < 3; page++) pages.push(...(await alertsCall(sim, token, page, T0, to)).body.alerts);
      expect(ids(pages)).to.deep.equal(alertIds(casbAlertsInWindow(sim.alertStream, T0, to)));
      expect(new Set(ids(pages)).size).to.equal(140);
    });

    it('realtime: serves only alerts whose time has come', async () => {
      const sim = await start({ alerts: { timeline: alertTimeline } });
      const token = await login(sim);
      clock = T0 + 10_500;
      const early = await alertsCall(sim, token, 0, T0, T0 + 3_600_000);
      expect(ids(early.body.alerts)).to.deep.equal(alertIds([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]));
      expect(ids(early.body.alerts)).to.deep.equal(alertIds(casbAlertsInWindow(sim.alertStream, T0, T0 + 3_600_000, clock)));
      clock = T0 + 12_000;
      expect(ids((await alertsCall(sim, token, 0, T0, T0 + 3_600_000)).body.alerts).slice(0, 3)).to.deep.equal(alertIds([12, 11, 10]));
    });

    it('uses the default timeline (an hour back, 1 s apart) and never serves index total or beyond', async () => {
      const sim = await start({ alerts: { total: 30 } });
      expect(sim.alertStream.timeline).to.deep.equal({ startTime: T0 - 3_600_000, intervalMs: 1000 });
      const token = await login(sim);
      const res = await alertsCall(sim, token, 0, 0, T0 + 3_600_000);
      expect(ids(res.body.alerts)).to.deep.equal(Array.from({ length: 30 }, (_, k) => casbAlertId(29 - k)));
    });

    it('answers 400 naming the field to a bad body', async () => {
      const sim = await start();
      const token = await login(sim);
      const cases: Array<[unknown, string]> = [
        [{ time_range: { from: 0, to: 1 } }, 'page'],
        [{ page: -1, time_range: { from: 0, to: 1 } }, 'page'],
        [{ page: 1.5, time_range: { from: 0, to: 1 } }, 'page'],
        [{ page: '0', time_range: { from: 0, to: 1 } }, 'page'],
        [{ page: 0 }, 'time_range'],
        [{ page: 0, time_range: [0, 1] }, 'time_range'],
        [{ page: 0, time_range: { from: '0', to: 1 } }, 'time_range.from'],
        [{ page: 0, time_range: { from: 0 } }, 'time_range.to'],
        [{ page: 0, time_range: { from: 0, to: 1.5 } }, 'time_range.to'],
        [{ page: 0, time_range: { from: 2, to: 1 } }, 'time_range'],
        ['not json', 'body'],
      ];
      for (const [body, field] of cases) {
        const res = await post(sim, '/v1/alerts', body, { authorization: token });
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.field, JSON.stringify(body)).to.equal(field);
        expect(res.body.message).to.contain(field);
      }
    });
  });

  describe('GET /v2/events', () => {
    /** The JSON a page token holds. */
    function tokenJson(token: string): unknown {
      expect(token).to.match(/^[A-Za-z0-9+/]+={0,2}$/);
      expect(Buffer.from(token, 'base64').toString('base64'), 'canonical base64').to.equal(token);
      return JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    }

    it('pages oldest first from startTime as { size, nextPageToken, content }; an empty page (size 0) returns the same token', async () => {
      const sim = await start({ mode: 'backlog', events: { timeline: eventTimeline, total: 120 } });
      const token = await login(sim);
      const first = await eventsCall(sim, token, T0);
      expect(first.status).to.equal(200);
      expect(Object.keys(first.body)).to.deep.equal(['size', 'nextPageToken', 'content']);
      expect(first.body.size).to.equal(50);
      expect(eventIdsOf(first.body.content)).to.deep.equal(eventIds(0, 50));
      const second = await eventsCall(sim, token, T0, first.body.nextPageToken);
      expect(eventIdsOf(second.body.content)).to.deep.equal(eventIds(50, 100));
      const third = await eventsCall(sim, token, T0, second.body.nextPageToken);
      expect(third.body.size).to.equal(20);
      expect(eventIdsOf(third.body.content)).to.deep.equal(eventIds(100, 120));
      const empty = await eventsCall(sim, token, T0, third.body.nextPageToken);
      expect(empty.body).to.deep.equal({ size: 0, nextPageToken: third.body.nextPageToken, content: [] });
      const again = await eventsCall(sim, token, T0, empty.body.nextPageToken);
      expect(again.body).to.deep.equal(empty.body);
      const all = [...first.body.content, ...second.body.content, ...third.body.content];
      for (let i = 1; i < all.length; i++) expect(Date.parse(all[i]!.timestamp)).to.be.above(Date.parse(all[i - 1]!.timestamp));
      expect(all.map((e) => e.timestamp)).to.deep.equal(Array.from({ length: 120 }, (_, i) => new Date(casbRecordTime(eventTimeline, i)).toISOString()));
      expect(sim.stats.eventsServed).to.equal(120);
      expect(sim.stats.requests).to.deep.equal({ '/v1/auth': 1, '/v2/events': 5 });
    });

    it('starts at the first event at or after startTime (a bare date is midnight UTC; nextPage overrides it)', async () => {
      const sim = await start({ mode: 'backlog', events: { timeline: eventTimeline, total: 120 } });
      const token = await login(sim);
      const startTime = T0 + 30_500;
      const res = await eventsCall(sim, token, startTime);
      expect(casbIndexAtOrAfter(eventTimeline, startTime)).to.equal(31);
      expect(eventIdsOf(res.body.content)).to.deep.equal(eventIds(31, 81));
      const both = await get<EventsBody>(
        sim,
        '/v2/events',
        `startTime=${new Date(T0 + 999_999).toISOString()}&nextPage=${encodeURIComponent(res.body.nextPageToken)}`,
        { authorization: token },
      );
      expect(eventIdsOf(both.body.content)).to.deep.equal(eventIds(81, 120));
      const dayBefore = await get<EventsBody>(sim, '/v2/events', 'startTime=2024-05-21', { authorization: token });
      expect(eventIdsOf(dayBefore.body.content)).to.deep.equal(eventIds(0, 50));
      const zeroOffset = await get<EventsBody>(sim, '/v2/events', `startTime=${encodeURIComponent('2024-05-22T12:30:10.000+00:00')}`, { authorization: token });
      expect(eventIdsOf(zeroOffset.body.content)[0]).to.equal(casbEventId(10, 'events'));
    });

    it('realtime: an empty page keeps the position and a later call with the token sees the new events', async () => {
      const sim = await start({ events: { timeline: eventTimeline } });
      const token = await login(sim);
      clock = T0 + 5_500;
      const first = await eventsCall(sim, token, T0);
      expect(eventIdsOf(first.body.content)).to.deep.equal(eventIds(0, 6));
      const caughtUp = await eventsCall(sim, token, T0, first.body.nextPageToken);
      expect(caughtUp.body.size).to.equal(0);
      expect(caughtUp.body.content).to.deep.equal([]);
      expect(caughtUp.body.nextPageToken).to.equal(first.body.nextPageToken);
      clock = T0 + 9_000;
      const later = await eventsCall(sim, token, T0, caughtUp.body.nextPageToken);
      expect(eventIdsOf(later.body.content)).to.deep.equal(eventIds(6, 10));
      clock = T0 + 100_000;
      const full = await eventsCall(sim, token, T0, later.body.nextPageToken);
      expect(eventIdsOf(full.body.content)).to.deep.equal(eventIds(10, 60));
    });

    it('backlog: serves events with future timestamps, up to total only', async () => {
      const sim = await start({ mode: 'backlog', pageSize: 40, events: { timeline: { ...eventTimeline, startTime: T0 + 3_600_000 }, total: 70 } });
      const token = await login(sim);
      const first = await eventsCall(sim, token, T0);
      expect(eventIdsOf(first.body.content)).to.deep.equal(eventIds(0, 40));
      const second = await eventsCall(sim, token, T0, first.body.nextPageToken);
      expect(eventIdsOf(second.body.content)).to.deep.equal(eventIds(40, 70));
      expect((await eventsCall(sim, token, T0, second.body.nextPageToken)).body.content).to.deep.equal([]);
    });

    it("gives opaque page tokens in the style of Devo's logs: base64 JSON naming the minute file of the next event and its last line read", async () => {
      // 6 events a minute: the minute files hold indexes 0-5 (12:30), 6-11 (12:31), 12-17 (12:32), ...
      const timeline: CasbTimeline = { startTime: T0, intervalMs: 10_000, seed: 'events' };
      const sim = await start({ mode: 'backlog', pageSize: 10, events: { timeline, total: 100 } });
      const token = await login(sim);
      let next: string | undefined;
      for (let page = 1; page <= 4; page++) {
        const res = await eventsCall(sim, token, T0, next);
        expect(eventIdsOf(res.body.content)).to.deep.equal(eventIds(10 * (page - 1), 10 * page));
        next = res.body.nextPageToken;
        const cursor = tokenJson(next);
        expect(cursor).to.have.keys('lineNumber', 'currentKey');
        const { lineNumber, currentKey } = cursor as { lineNumber: number; currentKey: string };
        // The next event is index 10p, in the file of minute 30 + floor(10p / 6), whose first index is 6 * floor(10p / 6).
        const file = Math.floor((10 * page) / 6);
        const match = /^tenant_[0-9a-f]{8}\/year=2024\/month=05\/day=22\/hour=12\/minute=(\d\d)\/fl_events_keyed_tenant\+[0-7]\+(\d+)\.json\.gz$/.exec(
          currentKey,
        );
        expect(match, currentKey).not.to.equal(null);
        expect(Number(match![1]), currentKey).to.equal(30 + file);
        expect(Number(match![2]), currentKey).to.equal(6 * file);
        expect(lineNumber, currentKey).to.equal(10 * page - 6 * file - 1);
      }
      // Page 3 ended at index 30, the first of the 12:35 file: nothing of it read, -1 as in Devo's logs
      // (checked in the loop); so does a page from startTime 12:33:20 (index 20).
      const atFileStart = await get<EventsBody>(sim, '/v2/events', `startTime=${new Date(T0 + 200_000).toISOString()}`, { authorization: token });
      expect(eventIdsOf(atFileStart.body.content)[0]).to.equal(casbEventId(20, 'events'));
      expect(tokenJson(atFileStart.body.nextPageToken)).to.deep.include({ lineNumber: -1 });
      // Deterministic: the same position gives the same token.
      const again = await start({ mode: 'backlog', pageSize: 10, events: { timeline, total: 100 } });
      expect((await eventsCall(again, await login(again), T0 + 200_000)).body.nextPageToken).to.equal(atFileStart.body.nextPageToken);
    });

    it('answers 400 naming startTime or nextPage to a bad, repeated or foreign parameter', async () => {
      const sim = await start({ mode: 'backlog', events: { timeline: eventTimeline, total: 120 } });
      const token = await login(sim);
      const real = (await eventsCall(sim, token, T0)).body.nextPageToken;
      const cursor = tokenJson(real) as { lineNumber: number; currentKey: string };
      const forge = (value: unknown) => encodeURIComponent(Buffer.from(JSON.stringify(value)).toString('base64'));
      const foreign = await start({ mode: 'backlog', events: { timeline: { ...eventTimeline, seed: 'other' }, total: 120 } });
      const foreignToken = (await eventsCall(foreign, await login(foreign), T0)).body.nextPageToken;
      const cases: Array<[string, string]> = [
        ['', 'startTime'],
        ['startTime=', 'startTime'],
        ['startTime=yesterday', 'startTime'],
        [`startTime=${T0}`, 'startTime'],
        ['startTime=2024-05-22T12:00:00', 'startTime'],
        [`startTime=${encodeURIComponent('2024-05-22T12:00:00+02:00')}`, 'startTime'],
        ['startTime=2024-05-22T12:00:00Z&startTime=2024-05-22T13:00:00Z', 'startTime'],
        ['start_time=2024-05-22T12:00:00Z', 'startTime'],
        ['nextPage=', 'nextPage'],
        ['nextPage=not%20a%20token!', 'nextPage'],
        [`nextPage=${forge('not json')}`, 'nextPage'],
        [`nextPage=${encodeURIComponent(Buffer.from('{').toString('base64'))}`, 'nextPage'],
        [`nextPage=${forge({ ...cursor, lineNumber: -2 })}`, 'nextPage'],
        [`nextPage=${forge({ ...cursor, lineNumber: 1.5 })}`, 'nextPage'],
        [`nextPage=${forge({ ...cursor, currentKey: cursor.currentKey.replace(/minute=\d\d/, 'minute=59') })}`, 'nextPage'],
        [`nextPage=${forge({ lineNumber: cursor.lineNumber })}`, 'nextPage'],
        [`nextPage=${forge({ v: 1, next: 50 })}`, 'nextPage'],
        [`nextPage=${encodeURIComponent(real)}&nextPage=${encodeURIComponent(real)}`, 'nextPage'],
        [`nextPage=${encodeURIComponent(foreignToken)}`, 'nextPage'],
      ];
      for (const [query, field] of cases) {
        const res = await get(sim, '/v2/events', query, { authorization: token });
        expect(res.status, query).to.equal(400);
        expect(res.body.field, query).to.equal(field);
        expect(res.body.message, query).to.match(new RegExp(`^${field}: `));
      }
      expect((await get(sim, '/v2/events', `nextPage=${encodeURIComponent(real)}&unknown=1`, { authorization: token })).status).to.equal(200);
    });

    it('answers the old guess, POST /v2/events with { start_time, page_token }, with 405 and Allow: GET (not counted, nothing served)', async () => {
      const sim = await start({ mode: 'backlog', rateLimitEvery: 2, events: { timeline: eventTimeline, total: 120 } });
      const token = await login(sim);
      const old = await post(sim, '/v2/events', { start_time: '2024-05-22T12:30:00Z' }, { authorization: token });
      expect(old.status).to.equal(405);
      expect(old.headers.get('allow')).to.equal('GET');
      expect(old.body).to.deep.equal({ error: 'Method Not Allowed', message: 'POST /v2/events: this call is GET /v2/events' });
      expect((await post(sim, '/v2/events', { start_time: '2024-05-22T12:30:00Z', page_token: 'x' }, { authorization: token })).status).to.equal(405);
      expect(sim.stats.eventsServed).to.equal(0);
      // The 405s were not counted: the first GET is the first counted call, the second the 429.
      expect((await eventsCall(sim, token, T0)).status).to.equal(200);
      expect((await eventsCall(sim, token, T0)).status).to.equal(429);
    });
  });

  describe('rate limits', () => {
    it('rateLimitEvery: 429 on every k-th non-auth call, Retry-After seconds, HTTP-date, missing in turn', async () => {
      const sim = await start({ rateLimitEvery: 2, retryAfterSeconds: 7, mode: 'backlog', events: { timeline: eventTimeline, total: 5 } });
      clock = T0 + 400;
      const token = await login(sim);
      const answers: Array<Reply<EventsBody>> = [];
      for (let i = 0; i < 6; i++) {
        answers.push(await eventsCall(sim, token, T0));
        await login(sim); // auth calls are never counted
      }
      expect(answers.map((a) => a.status)).to.deep.equal([200, 429, 200, 429, 200, 429]);
      expect(answers[1]!.headers.get('retry-after')).to.equal('7');
      expect(answers[3]!.headers.get('retry-after')).to.equal(new Date(T0 + 8_000).toUTCString());
      expect(answers[5]!.headers.has('retry-after')).to.equal(false);
      expect(answers[1]!.body).to.deep.include({ error: 'Too Many Requests' });
      expect(sim.stats.rateLimited).to.equal(3);
      expect(sim.stats.responses).to.deep.equal({ 200: 10, 429: 3 });
    });

    for (const [style, expected] of [
      ['seconds', '3'],
      ['date', new Date(T0 + 3_000).toUTCString()],
      ['missing', null],
    ] as const) {
      it(`rateLimitEvery with retryAfter: '${style}'`, async () => {
        const sim = await start({ rateLimitEvery: 1, retryAfter: style, retryAfterSeconds: 3 });
        const token = await login(sim);
        for (let i = 0; i < 3; i++) {
          const res = await alertsCall(sim, token, 0, T0, T0);
          expect(res.status).to.equal(429);
          expect(res.headers.get('retry-after')).to.equal(expected);
        }
      });
    }

    it('maxRequestsPerSecond: more calls than that within a second get 429 with Retry-After: 1', async () => {
      const sim = await start({ maxRequestsPerSecond: 3, mode: 'backlog', events: { timeline: eventTimeline, total: 5 } });
      const token = await login(sim); // counts too: 1 of 3 at T0
      expect((await eventsCall(sim, token, T0)).status).to.equal(200);
      clock = T0 + 500;
      expect((await eventsCall(sim, token, T0)).status).to.equal(200);
      const limited = await eventsCall(sim, token, T0);
      expect(limited.status).to.equal(429);
      expect(limited.headers.get('retry-after')).to.equal('1');
      expect((await post(sim, '/v1/auth', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET })).status).to.equal(429);
      clock = T0 + 999;
      expect((await eventsCall(sim, token, T0)).status).to.equal(429);
      clock = T0 + 1000; // the two calls at T0 left the window
      expect((await eventsCall(sim, token, T0)).status).to.equal(200);
      expect((await eventsCall(sim, token, T0)).status).to.equal(200);
      expect((await eventsCall(sim, token, T0)).status).to.equal(429);
      expect(sim.stats.rateLimited).to.equal(4);
    });
  });

  describe('failures and latency', () => {
    it('failEvery: 500, 502, 503, then a reset connection, in turn', async () => {
      const sim = await start({ failEvery: 1, mode: 'backlog', events: { timeline: eventTimeline, total: 5 } });
      const token = await login(sim);
      const outcomes: Array<number | 'reset'> = [];
      for (let i = 0; i < 8; i++) outcomes.push(await outcome(eventsCall(sim, token, T0)));
      expect(outcomes).to.deep.equal([500, 502, 503, 'reset', 500, 502, 503, 'reset']);
      expect(sim.stats.failures).to.equal(8);
      expect(sim.stats.resets).to.equal(2);
      expect(sim.stats.responses).to.deep.equal({ 200: 1, 500: 2, 502: 2, 503: 2 });
      expect(sim.stats.requests).to.deep.equal({ '/v1/auth': 1, '/v2/events': 8 });
    });

    it('combines rateLimitEvery and failEvery on one count (429 wins)', async () => {
      const sim = await start({ rateLimitEvery: 2, failEvery: 3, mode: 'backlog', events: { timeline: eventTimeline, total: 5 } });
      const token = await login(sim);
      const outcomes: Array<number | 'reset'> = [];
      for (let i = 0; i < 9; i++) outcomes.push(await outcome(eventsCall(sim, token, T0)));
      expect(outcomes).to.deep.equal([200, 429, 500, 429, 200, 429, 200, 429, 502]);
    });

    it('latencyMs delays every answer', async () => {
      const sim = await start({ latencyMs: 60 });
      const started = Date.now();
      await login(sim);
      expect(Date.now() - started).to.be.at.least(55);
    });
  });

  describe('stop', () => {
    it('closes the server, every connection and every timer, even with answers pending', async () => {
      const WATCHED = new Set(['TCPServerWrap', 'TCPSocketWrap', 'Timeout']);
      const open = () => process.getActiveResourcesInfo().filter((r) => WATCHED.has(r)).length;
      await Promise.resolve(); // mocha starts this test's timeout timer once the test returns its promise
      const baseline = open();
      const sim = await start({ latencyMs: 5_000 });
      const port = sim.port;
      const pending = outcome(post(sim, '/v1/auth', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET }));
      await waitFor(() => (sim.stats.requests['/v1/auth'] ?? 0) === 1, 'the request to arrive');
      expect(open()).to.be.above(baseline);
      await sim.stop();
      await sim.stop(); // idempotent
      expect(await pending).to.equal('reset');
      await waitFor(() => open() <= baseline, 'every handle to close', 2000);
      let refused = false;
      await fetch(`http://127.0.0.1:${port}/v1/auth`, { method: 'POST' }).catch(() => (refused = true));
      expect(refused).to.equal(true);
    });
  });
});
