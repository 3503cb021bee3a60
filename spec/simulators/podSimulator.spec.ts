import { expect } from 'chai';
import * as http from 'node:http';
import { WebSocket } from 'ws';
import { podEvent, podEventKey, podEventTime, podIndexAtOrAfter, type PodEventType, type PodTimeline } from '../../lib/simulators/podEvents';
import { PodSimulator, type PodSimulatorOptions } from '../../lib/simulators/podSimulator';
import { parseEventTime } from '../../lib/time/parseEventTime';
import { sleep, waitFor } from '../helpers/waitFor';

const TOKEN = 'test-token';
const CID = 'acme_hosted';
/** A fixed "now" for the tests that drive the simulator's clock: 2024-05-22T12:30:00Z. */
const T0 = Date.UTC(2024, 4, 22, 12, 30, 0);
const HOUR = 3_600_000;

interface Frame {
  readonly text: string;
  readonly binary: boolean;
  readonly at: number;
}

/** A real `ws` client that records every frame and its close code. */
class Client {
  readonly frames: Frame[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  code: number | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, binary: boolean) => this.frames.push({ text: data.toString('utf8'), binary, at: Date.now() }));
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('close', () => reject(new Error('closed before open')));
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) =>
      ws.once('close', (code: number) => {
        this.code = code;
        resolve(code);
      }),
    );
  }

  async close(): Promise<number> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close();
    return this.closed;
  }
}

function streamUrl(sim: PodSimulator, type: string, extra: Record<string, string> = {}, cid = CID): string {
  const query = new URLSearchParams({ cid, type, ...extra });
  return `${sim.url}/v1/stream?${query.toString()}`;
}

function connect(sim: PodSimulator, type: PodEventType = 'message', extra: Record<string, string> = {}): Client {
  return track(new Client(new WebSocket(streamUrl(sim, type, extra), { headers: { Authorization: `Bearer ${TOKEN}` } })));
}

interface HandshakeResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A websocket handshake with a real `ws` client; resolves with the HTTP status, headers and body. */
function handshake(url: string, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }): Promise<HandshakeResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('error', () => undefined);
    ws.once('open', () => {
      resolve({ status: 101, headers: {}, body: '' });
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        ws.terminate();
      });
      res.on('error', reject);
    });
  });
}

/** A plain HTTP request (no upgrade). */
function plainRequest(sim: PodSimulator, method: string, path: string): Promise<HandshakeResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: sim.port, method, path, agent: false, headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let clients: Client[] = [];
let simulators: PodSimulator[] = [];

function track(client: Client): Client {
  clients.push(client);
  return client;
}

async function start(options: Partial<PodSimulatorOptions> = {}): Promise<PodSimulator> {
  const sim = await PodSimulator.start({ token: TOKEN, clusterId: CID, ...options });
  simulators.push(sim);
  return sim;
}

/** key → index for the first `count` events of a type. */
function keyIndex(type: PodEventType, count: number, seed?: string): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < count; i++) map.set(podEventKey(type, i, seed), i);
  return map;
}

function keyOf(type: PodEventType, text: string): string {
  return JSON.parse(text)[type === 'maillog' ? 'id' : 'guid'];
}

/** Receives a whole `blast` stream of `total` events; resolves once the client has every frame the simulator sent. */
async function receiveAll(sim: PodSimulator, client: Client, total: number, timeoutMs = 5000): Promise<Frame[]> {
  await waitFor(() => sim.stats.eventsSent >= total && client.frames.length >= sim.stats.framesSent, `${total} events`, timeoutMs);
  await sleep(20);
  expect(client.frames.length).to.equal(sim.stats.framesSent);
  return client.frames;
}

describe('PodSimulator (real ws clients on loopback)', function () {
  this.timeout(10_000);

  afterEach(async () => {
    for (const client of clients) client.ws.terminate();
    await Promise.all(simulators.map((sim) => sim.stop()));
    await Promise.all(clients.map((client) => client.closed));
    clients = [];
    simulators = [];
  });

  describe('handshake', () => {
    it('answers 401 to a missing or wrong token or a wrong cid', async () => {
      const sim = await start();
      for (const [url, headers] of [
        [streamUrl(sim, 'message'), {}],
        [streamUrl(sim, 'message'), { Authorization: 'Bearer nope' }],
        [streamUrl(sim, 'message', {}, 'other_hosted'), { Authorization: `Bearer ${TOKEN}` }],
      ] as const) {
        const res = await handshake(url, headers);
        expect(res.status).to.equal(401);
        expect(res.body).to.equal('Unauthorized\r\n');
      }
      expect(sim.stats.handshakes).to.deep.equal({ 401: 3 });
      expect(sim.stats.sessions).to.equal(0);
    });

    it('answers 400 to an unknown or unserved type and to a bad, future or too old sinceTime', async () => {
      const sim = await start({ types: ['message', 'maillog'] });
      const cases: Array<[string, Record<string, string>, RegExp]> = [
        ['audit', {}, /type/],
        ['spam', {}, /type/],
        ['message', { sinceTime: 'yesterday' }, /sinceTime/],
        ['message', { sinceTime: '1716405003' }, /sinceTime/],
        ['message', { sinceTime: new Date(Date.now() + HOUR).toISOString() }, /sinceTime.*future/],
        ['message', { sinceTime: new Date(Date.now() - 31 * 24 * HOUR).toISOString() }, /sinceTime.*30 days/],
      ];
      for (const [type, extra, body] of cases) {
        const res = await handshake(streamUrl(sim, type, extra));
        expect(res.status, `${type} ${JSON.stringify(extra)}`).to.equal(400);
        expect(res.body).to.match(body);
      }
      expect(sim.stats.handshakes).to.deep.equal({ 400: cases.length });
    });

    it('answers 404 to another path, 405 to a non-GET and 426 to a plain GET', async () => {
      const sim = await start();
      expect((await handshake(`${sim.url}/v2/stream?cid=${CID}&type=message`)).status).to.equal(404);
      expect((await plainRequest(sim, 'POST', `/v1/stream?cid=${CID}&type=message`)).status).to.equal(405);
      expect((await plainRequest(sim, 'GET', '/')).status).to.equal(404);
      expect((await plainRequest(sim, 'GET', `/v1/stream?cid=${CID}&type=message`)).status).to.equal(426);
      expect(sim.stats.handshakes).to.deep.equal({ 404: 2, 405: 1, 426: 1 });
    });

    it('answers 409 to a second session for the same token and type, with the exact body and headers', async () => {
      const sim = await start({ total: 0 });
      const first = connect(sim, 'message');
      await first.opened;
      const second = await handshake(streamUrl(sim, 'message'));
      expect(second.status).to.equal(409);
      expect(second.headers['content-type']).to.equal('text/plain;charset=iso-8859-1');
      expect(Date.parse(second.headers.date ?? '')).to.be.closeTo(Date.now(), 5000);
      expect(second.body).to.equal('Exceeded maximum number of sessions per token\r\n');
      // Another type is another session.
      expect((await handshake(streamUrl(sim, 'maillog'))).status).to.equal(101);
      // Once the first session is closed, the type is free again.
      await first.close();
      expect((await handshake(streamUrl(sim, 'message'))).status).to.equal(101);
      expect(sim.stats.handshakes).to.deep.equal({ 101: 3, 409: 1 });
    });
  });

  describe('stream', () => {
    it('realtime: sends each event once it is due, with ts at its event time', async () => {
      const timeline: PodTimeline = { startTime: Date.now(), intervalMs: 10, seed: 'rt' };
      const sim = await start({ timeline, total: 30, duplicateRate: 0 });
      const client = connect(sim, 'audit');
      await waitFor(() => client.frames.length >= 30, '30 events');
      const keys = keyIndex('audit', 30, 'rt');
      const seen = new Set<number>();
      for (const frame of client.frames) {
        const event = JSON.parse(frame.text);
        const index = keys.get(event.guid)!;
        expect(index).to.be.a('number');
        seen.add(index);
        expect(parseEventTime(event.ts)).to.equal(podEventTime(timeline, index));
        expect(frame.at).to.be.at.least(podEventTime(timeline, index));
      }
      expect(seen.size).to.equal(30);
      expect(client.frames[0]!.at - timeline.startTime).to.be.below(200);
      expect(client.frames[29]!.at - timeline.startTime).to.be.at.least(290);
    });

    it('starts an hour back, resumes within the hour at the next index, and starts an hour back again after more than an hour', async () => {
      let now = T0;
      const timeline: PodTimeline = { startTime: T0 - 3 * HOUR, intervalMs: 60_000, seed: 'resume' };
      const sim = await start({ timeline, now: () => now, disorderWindow: 1, duplicateRate: 0 });
      const keys = keyIndex('maillog', 400, 'resume');
      const indexes = (client: Client) => client.frames.map((f) => keys.get(keyOf('maillog', f.text))!);
      const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

      const first = connect(sim, 'maillog');
      await waitFor(() => first.frames.length >= 61, 'the last hour');
      await sleep(60);
      await first.close();
      expect(indexes(first)).to.deep.equal(range(120, 180)); // T0-1h … T0

      now = T0 + 10 * 60_000;
      const second = connect(sim, 'maillog');
      await waitFor(() => second.frames.length >= 10, 'ten more minutes');
      await sleep(60);
      await second.close();
      expect(indexes(second)).to.deep.equal(range(181, 190));

      now += 2 * HOUR;
      const third = connect(sim, 'maillog');
      await waitFor(() => third.frames.length >= 61, 'the last hour again');
      await sleep(60);
      await third.close();
      expect(indexes(third)).to.deep.equal(range(250, 310));
      expect(sim.stats.duplicatesSent).to.equal(0);
    });

    it('resumes after a client close in the middle of a shuffled block with no repeat and no gap', async () => {
      const sim = await start({
        mode: 'blast',
        total: 3000,
        disorderWindow: 7,
        duplicateRate: 0,
        timeline: { startTime: Date.now(), intervalMs: 1, seed: 'mid' },
      });
      // The close lands between two bursts of 256 frames: never at the end of a block of 7.
      const first = connect(sim, 'audit');
      await waitFor(() => first.frames.length >= 100, '100 events');
      await first.close();
      const second = connect(sim, 'audit');
      await waitFor(() => sim.stats.eventsSent >= 3000, 'every event');
      await waitFor(() => first.frames.length + second.frames.length >= sim.stats.framesSent, 'every frame');
      const keys = keyIndex('audit', 3000, 'mid');
      const all = [...first.frames, ...second.frames].map((f) => keys.get(keyOf('audit', f.text))!);
      expect(all).to.have.length(3000);
      expect(new Set(all).size).to.equal(3000);
      expect(sim.stats.duplicatesSent).to.equal(0);
    });

    it('sinceTime replays from the hour (UTC, any offset) in archive mode with five times the duplicates', async () => {
      const now = T0;
      const timeline: PodTimeline = { startTime: T0 - 3 * HOUR, intervalMs: 5000, seed: 'archive' };
      const sim = await start({ timeline, now: () => now, duplicateRate: 0.04, disorderWindow: 1 });
      const keys = keyIndex('audit', 2200, 'archive');

      const live = connect(sim, 'audit');
      await waitFor(() => sim.stats.eventsSent >= 721 && live.frames.length >= sim.stats.framesSent, 'the last hour');
      await live.close();
      const liveDuplicates = live.frames.length - 721;

      // 04:45-07:00 is 11:45Z: rounded down to 11:00Z = T0 - 1.5 h, index 1080.
      const archive = connect(sim, 'audit', { sinceTime: '2024-05-22T04:45:00.000000-07:00' });
      const expected = 2160 - 1080 + 1;
      await waitFor(() => new Set(archive.frames.map((f) => f.text)).size >= expected, 'the replay');
      await sleep(60);
      await archive.close();
      const indexes = archive.frames.map((f) => keys.get(keyOf('audit', f.text))!);
      expect(indexes[0]).to.equal(podIndexAtOrAfter(timeline, Date.UTC(2024, 4, 22, 11)));
      expect(indexes[0]).to.equal(1080);
      expect(new Set(indexes).size).to.equal(expected);
      const archiveDuplicates = archive.frames.length - expected;
      expect(liveDuplicates / 721).to.be.within(0.02, 0.065);
      expect(archiveDuplicates / expected).to.be.within(0.14, 0.26);
      expect(sim.stats.handshakes).to.deep.equal({ 101: 2 });
    });

    it('sends duplicates and local disorder at the configured rate, deterministically', async () => {
      const options = {
        mode: 'blast' as const,
        now: () => T0,
        total: 2000,
        duplicateRate: 0.05,
        disorderWindow: 8,
        timeline: { startTime: T0, intervalMs: 10, seed: 'dup' },
      };
      const run = async (overrides: Partial<PodSimulatorOptions> = {}) => {
        const sim = await start({ ...options, ...overrides });
        const client = connect(sim, 'maillog');
        const frames = await receiveAll(sim, client, overrides.total ?? options.total);
        await client.close();
        return frames.map((f) => f.text);
      };
      const texts = await run();
      const keys = keyIndex('maillog', 2000, 'dup');
      const sequence = texts.map((t) => keys.get(keyOf('maillog', t))!);

      const firsts: number[] = [];
      const seen = new Set<number>();
      let duplicates = 0;
      sequence.forEach((index, position) => {
        if (seen.has(index)) {
          duplicates++;
          expect(texts[position - 1], 'a duplicate follows its original').to.equal(texts[position]);
        } else firsts.push(index);
        seen.add(index);
      });
      expect(firsts).to.have.length(2000);
      expect(duplicates).to.be.within(60, 140); // 5 % of 2000
      // Each block of 8 holds exactly its 8 indexes, mostly out of place.
      for (let b = 0; b < 2000; b += 8) expect([...firsts.slice(b, b + 8)].sort((x, y) => x - y)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7].map((k) => b + k));
      expect(firsts.filter((index, position) => index !== position).length).to.be.above(1000);

      expect(await run(), 'the same options give the same frames').to.deep.equal(texts);
      expect(await run({ timeline: { ...options.timeline, seed: 'other' } })).not.to.deep.equal(texts);
      const ordered = (await run({ disorderWindow: 1, duplicateRate: 0, total: 200 })).map((t) => keys.get(keyOf('maillog', t)));
      expect(ordered).to.deep.equal(Array.from({ length: 200 }, (_, i) => i));
    });

    it('drops a session abruptly (1006) after dropEveryFrames; the next re-sends at most rewindOnDrop events and loses none', async () => {
      const total = 300;
      const sim = await start({
        mode: 'blast',
        now: () => T0,
        total,
        dropEveryFrames: 50,
        rewindOnDrop: 3,
        disorderWindow: 4,
        duplicateRate: 0,
        timeline: { startTime: T0, intervalMs: 10, seed: 'drop' },
      });
      const keys = keyIndex('audit', total, 'drop');
      const received = new Set<number>();
      let dropped = 0;
      for (let session = 0; received.size < total; session++) {
        expect(session, 'sessions needed').to.be.below(12);
        const client = connect(sim, 'audit');
        const indexesOf = () => client.frames.map((f) => keys.get(keyOf('audit', f.text))!);
        await waitFor(() => client.code !== undefined || new Set([...received, ...indexesOf()]).size >= total, 'a drop or the rest');
        const indexes = indexesOf();
        const repeats = indexes.filter((i) => received.has(i)).length;
        expect(repeats, `session ${session} re-sends`).to.be.at.most(3);
        if (session > 0) expect(repeats, `session ${session} re-sends`).to.be.above(0);
        for (const i of indexes) received.add(i);
        if (client.code === undefined) await client.close();
        else {
          expect(client.code).to.equal(1006);
          expect(client.frames).to.have.length(50);
          dropped++;
        }
      }
      expect(received.size).to.equal(total);
      expect(sim.stats.drops).to.equal(dropped);
      expect(dropped).to.be.at.least(5);
    });

    it('delivers frames of 2 MiB and more intact', async () => {
      const timeline = { startTime: T0, intervalMs: 10, seed: 'large' };
      const sim = await start({ mode: 'blast', now: () => T0, total: 6, largeEvery: 3, duplicateRate: 0, disorderWindow: 1, timeline });
      const client = connect(sim, 'message');
      const frames = await receiveAll(sim, client, 6);
      frames.forEach((frame, i) => {
        expect(frame.text).to.equal(podEvent('message', i, timeline, { clusterId: CID, ...(i % 3 === 2 ? { largeBytes: 2 * 1024 * 1024 } : {}) }));
        if (i % 3 === 2) expect(Buffer.byteLength(frame.text)).to.be.at.least(2 * 1024 * 1024);
        else expect(Buffer.byteLength(frame.text)).to.be.below(4096);
      });
    });

    it('sends every binaryEvery-th event as a binary frame', async () => {
      const timeline = { startTime: T0, intervalMs: 10, seed: 'bin' };
      const sim = await start({ mode: 'blast', now: () => T0, total: 12, binaryEvery: 4, duplicateRate: 0, disorderWindow: 1, timeline });
      const frames = await receiveAll(sim, connect(sim, 'maillog'), 12);
      expect(frames.map((f) => f.binary)).to.deep.equal(Array.from({ length: 12 }, (_, i) => i % 4 === 3));
      frames.forEach((frame, i) => expect(frame.text).to.equal(podEvent('maillog', i, timeline, { clusterId: CID })));
    });

    it('inserts malformed frames of four kinds, never with a real key', async () => {
      const timeline = { startTime: T0, intervalMs: 10, seed: 'bad' };
      const sim = await start({ mode: 'blast', now: () => T0, total: 41, malformedEvery: 10, duplicateRate: 0, disorderWindow: 1, timeline });
      const frames = await receiveAll(sim, connect(sim, 'maillog'), 41);
      expect(frames).to.have.length(45);
      expect(sim.stats.malformedSent).to.equal(4);
      const keys = keyIndex('maillog', 41, 'bad');
      const malformed = [10, 21, 32, 43].map((position) => frames[position]!.text);
      expect(() => JSON.parse(malformed[0]!)).to.throw(SyntaxError);
      expect(JSON.parse(malformed[1]!)).to.be.an('array');
      const noKey = JSON.parse(malformed[2]!);
      expect(noKey).to.be.an('object').that.does.not.have.property('id');
      expect(JSON.parse(malformed[3]!)).to.deep.equal({ id: 'bad-40', ts: 'not a time' });
      for (const text of malformed) for (const key of keys.keys()) expect(text).not.to.include(key);
      // The events around them are all there, in order.
      const events = frames.filter((_, position) => ![10, 21, 32, 43].includes(position));
      expect(events.map((f) => keys.get(keyOf('maillog', f.text)))).to.deep.equal(Array.from({ length: 41 }, (_, i) => i));
    });
  });

  describe('flow control and shutdown', () => {
    it('stops sending to a client that stops reading, and goes on when it reads again', async () => {
      const maxBufferedBytes = 256 * 1024;
      const sim = await start({ mode: 'blast', maxBufferedBytes, duplicateRate: 0 });
      const client = connect(sim, 'message');
      await client.opened;
      client.ws.pause();
      // Wait for the kernel buffers to fill and the simulator to stall.
      let last = -1;
      let stableSince = Date.now();
      await waitFor(
        () => {
          const sent = sim.stats.framesSent;
          if (sent !== last) {
            last = sent;
            stableSince = Date.now();
          }
          return sent > 0 && Date.now() - stableSince > 250;
        },
        'the simulator to stall',
        8000,
      );
      const stalled = sim.stats;
      expect(stalled.bufferedBytes).to.be.at.most(maxBufferedBytes + 4096);
      await sleep(200);
      expect(sim.stats.framesSent).to.equal(stalled.framesSent);
      client.ws.resume();
      await waitFor(() => sim.stats.framesSent > stalled.framesSent + 100, 'sending to resume');
      await client.close();
    });

    it('answers pings unless autoPong is false', async () => {
      for (const autoPong of [true, false]) {
        const sim = await start({ total: 0, autoPong });
        const client = connect(sim, 'audit');
        await client.opened;
        let pongs = 0;
        client.ws.on('pong', () => pongs++);
        client.ws.ping();
        await (autoPong ? waitFor(() => pongs > 0, 'a pong') : sleep(200));
        expect(pongs).to.equal(autoPong ? 1 : 0);
        await client.close();
      }
    });

    it('disconnectAll: abrupt gives 1006 (a drop), otherwise 1001', async () => {
      const sim = await start({ total: 0 });
      const abrupt = connect(sim, 'message');
      await abrupt.opened;
      sim.disconnectAll({ abrupt: true });
      expect(await abrupt.closed).to.equal(1006);
      const polite = connect(sim, 'message');
      await polite.opened;
      sim.disconnectAll();
      expect(await polite.closed).to.equal(1001);
      expect(sim.stats).to.include({ sessions: 2, drops: 1, activeSessions: 0 });
    });

    it('stop() terminates the sessions and leaves no socket, server or timer open', async () => {
      const watched = () => process.getActiveResourcesInfo().filter((r) => ['TCPServerWrap', 'TCPSocketWrap', 'Timeout', 'Immediate'].includes(r)).length;
      await sleep(50);
      const before = watched();
      const sim = await PodSimulator.start({ token: TOKEN, clusterId: CID, rate: 200 });
      simulators.push(sim);
      const live = track(new Client(new WebSocket(streamUrl(sim, 'message'), { headers: { Authorization: `Bearer ${TOKEN}` } })));
      const paused = track(new Client(new WebSocket(streamUrl(sim, 'audit'), { headers: { Authorization: `Bearer ${TOKEN}` } })));
      await Promise.all([live.opened, paused.opened]);
      paused.ws.pause();
      await waitFor(() => live.frames.length > 0, 'an event');
      await sim.stop();
      expect(await live.closed).to.equal(1006);
      paused.ws.resume();
      expect(await paused.closed).to.equal(1006);
      await waitFor(() => watched() <= before, 'every handle to close', 2000);
    });

    it('rejects invalid options', async () => {
      for (const options of [
        { rate: 0 },
        { disorderWindow: 0 },
        { dropEveryFrames: 3, rewindOnDrop: 3 },
        { duplicateRate: -1 },
        { disorderWindow: Infinity },
        { types: ['spam' as PodEventType] },
        { timeline: { startTime: 0, intervalMs: 0 } },
      ]) {
        let error: unknown;
        await PodSimulator.start({ token: TOKEN, clusterId: CID, ...options }).catch((err: unknown) => (error = err));
        expect(error, JSON.stringify(options)).to.be.instanceOf(RangeError);
      }
    });
  });
});
