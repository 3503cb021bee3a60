import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Subject, type Subscription } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PodInputConfig, PodServiceConfig } from '../../lib/config/collectorConfig';
import { createLogger } from '../../lib/log/logger';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { DevoSender } from '../../lib/sinks/devoSender';
import { decodeConfig } from '../../lib/config/loadConfig';
import { ServiceTelemetry } from '../../lib/telemetry/serviceTelemetry';
import { podService, podStateBase, type PodServiceDeps } from '../../pipelines/pod/pod';
import { podTuningFor } from '../../pipelines/pod/podTuning';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { waitFor } from '../helpers/waitFor';
import { relaySender } from '../helpers/relaySender';

const TOKEN = 'tok-hostile-0123456789';
const HOUR = 3_600_000;

/** A PoD Log API stand-in that sends what each test scripts, and records each session's sinceTime. */
class HostilePod {
  readonly sinceTimes: Array<string | null> = [];
  private constructor(private readonly server: WebSocketServer) {}

  static async start(script: (ws: WebSocket, session: number) => void): Promise<HostilePod> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const pod = new HostilePod(server);
    server.on('connection', (ws, req) => {
      pod.sinceTimes.push(new URL(req.url ?? '/', 'http://x').searchParams.get('sinceTime'));
      script(ws, pod.sinceTimes.length - 1);
    });
    return pod;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const ws of this.server.clients) ws.terminate();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const event = (guid: string, ts: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ guid, ts, ...extra });

describe('a hostile PoD server', function () {
  this.timeout(30_000);
  let pki: ThrowawayPki;
  let dir: string;
  let remove: () => Promise<void>;
  let relay: RelayLog;
  let sender: DevoSender;
  let pod: HostilePod | undefined;
  let logs: string[];
  const running: Subscription[] = [];

  before(async () => {
    pki = await sharedPki();
  });
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    logs = [];
    relay = await RelayLog.start(pki, (b) => b['guid']);
    sender = relaySender(pki, relay.port, { confirmAfterMs: 200 });
  });
  afterEach(async () => {
    for (const s of running.splice(0)) s.unsubscribe();
    await sender.close(1000);
    await pod?.stop();
    pod = undefined;
    await relay.stop();
    await remove();
  });

  function run(url: string, overrides: Partial<PodServiceConfig> = {}, deps: Partial<PodServiceDeps> = {}): { stop: () => Promise<void>; crash: () => void } {
    const service: PodServiceConfig = {
      name: 'message',
      periodMs: 100,
      tag: 'mail.proofpoint.pod.message',
      urlBase: url,
      dedupMaxBytes: 16 * 1024 * 1024,
      maxEventBytes: 32 * 1024 * 1024,
      ...overrides,
    };
    const input: PodInputConfig = { inputId: '1', enabled: true, clusterId: 'c', apiToken: TOKEN, services: [service] };
    const stop$ = new Subject<void>();
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const subscription = podService(input, service, {
      writer: sender,
      logger: createLogger({ write: (l) => logs.push(l), debug: true }),
      stateDirectory: dir,
      hostname: 'h',
      batch: { maxDelayMs: 20 },
      tuning: { sortMaxDelayMs: 50, commitIntervalMs: 50, statsIntervalMs: 60_000 },
      ...deps,
    })
      .run(stop$)
      .subscribe({ complete: () => finished(), error: (e: unknown) => logs.push(`PIPELINE ERROR ${String(e)}`) });
    running.push(subscription);
    return {
      stop: async () => {
        stop$.next();
        stop$.complete();
        sender.drain();
        await done;
      },
      crash: () => subscription.unsubscribe(),
    };
  }

  async function persisted(): Promise<{ lastEventTime: number | null; cleanStop: boolean } | undefined> {
    try {
      return (
        JSON.parse(await readFile(`${podStateBase(dir, '1', 'message')}.json`, 'utf8')) as { state: { lastEventTime: number | null; cleanStop: boolean } }
      ).state;
    } catch {
      return undefined;
    }
  }

  it('an event stamped in 2099 is delivered but does not move the cursor: after a crash the catch-up starts at the hour of the last real event', async () => {
    const real = Date.now() - 2 * HOUR;
    pod = await HostilePod.start((ws, session) => {
      if (session > 0) return; // the catch-up session: only its sinceTime matters
      for (let i = 0; i < 5; i++) ws.send(event(`real-${i}`, new Date(real + i * 1000).toISOString()));
      ws.send(event('from-the-future', '2099-01-01T00:00:00.000000+0000'));
    });
    const first = run(pod.url);
    await waitFor(() => relay.unique === 6, 'the six events at the relay');
    let saved: Awaited<ReturnType<typeof persisted>>;
    for (const deadline = Date.now() + 5000; ;) {
      saved = await persisted();
      if (saved?.lastEventTime !== null && saved?.lastEventTime !== undefined && relay.unique === 6) {
        const journal = await readFile(`${podStateBase(dir, '1', 'message')}.dedup.jsonl`, 'utf8').catch(() => '');
        if (journal.includes('from-the-future')) break;
      }
      if (Date.now() > deadline) throw new Error('the delivery of the six events was never committed');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.crash();
    expect(saved?.lastEventTime).to.equal(real + 4000);

    const second = run(pod.url);
    await waitFor(() => pod!.sinceTimes.length === 2, 'the catch-up session');
    await second.stop();
    const sinceTime = Date.parse(pod.sinceTimes[1]!);
    expect(sinceTime).to.equal(Math.floor((real + 4000) / HOUR) * HOUR);
    expect(sinceTime).to.be.below(Date.now());
  });

  it('a corrected re-send of a dead-lettered event (unparseable ts) is delivered', async () => {
    pod = await HostilePod.start((ws) => {
      ws.send(event('g-1', 'not a time'));
      ws.send(event('g-1', new Date().toISOString(), { fixed: true }));
      ws.send(event('g-2', new Date().toISOString()));
    });
    const r = run(pod.url);
    await waitFor(() => relay.unique === 2, 'both events');
    await r.stop();
    expect(relay.lines.map((l) => l.key).sort()).to.deep.equal(['g-1', 'g-2']);
    expect(JSON.parse(relay.lines.find((l) => l.key === 'g-1')!.body)).to.include({ fixed: true });
    const dead = await readFile(`${podStateBase(dir, '1', 'message')}.deadletter.jsonl`, 'utf8');
    expect(dead.trimEnd().split('\n')).to.have.length(1);
  });

  it('200 KiB guids: de-duplicated, and remembered and persisted as short digests', async () => {
    const guid = (i: number) => `${i}-${'k'.repeat(200 * 1024)}`;
    pod = await HostilePod.start((ws) => {
      for (let i = 0; i < 40; i++) {
        const frame = event(guid(i), new Date().toISOString());
        ws.send(frame);
        ws.send(frame);
      }
    });
    const r = run(pod.url);
    await waitFor(() => relay.unique === 40, 'the 40 events', 20_000);
    await r.stop();
    expect(relay.duplicates).to.equal(0);
    const journal = (await readFile(`${podStateBase(dir, '1', 'message')}.dedup.jsonl`, 'utf8')).trimEnd().split('\n');
    expect(journal).to.have.length(40);
    for (const line of journal) expect(line.length).to.be.below(100);
  });

  it('a valid 60 MiB frame holding raw line breaks is dead-lettered (POD_EVENT_TOO_LARGE: head, size, sha256) at a small heap cost, moves the cursor, and the stream goes on', async () => {
    const t0 = Date.now() - 60_000;
    // Many small values between raw line breaks: what JSON.parse + stringify turned into > 1 GiB of heap.
    const item = '{"a":1,"b":"x"},\n';
    const count = Math.ceil((60 * 1024 * 1024) / item.length);
    const head = `{"guid":"huge","ts":"${new Date(t0 + 1000).toISOString()}","items":[\n`;
    const huge = Buffer.concat([Buffer.from(head), Buffer.alloc(count * item.length, item), Buffer.from('{"a":0}]}\n')]);
    pod = await HostilePod.start((ws, session) => {
      if (session > 0) return;
      ws.send(event('before', new Date(t0).toISOString()));
      ws.send(huge);
      ws.send(event('after', new Date(t0 + 2000).toISOString()));
    });
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 5);
    try {
      const collector = run(pod.url);
      await waitFor(() => relay.unique === 2, 'the two small events at the relay');
      await collector.stop();
    } finally {
      clearInterval(sampler);
    }
    expect(relay.lines.map((l) => l.key)).to.deep.equal(['before', 'after']);
    const dead = (await readFile(`${podStateBase(dir, '1', 'message')}.deadletter.jsonl`, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string; record: string });
    expect(dead).to.have.length(1);
    expect(dead[0]!.reason).to.match(/^POD_EVENT_TOO_LARGE: /);
    expect(dead[0]!.reason).to.include(`${huge.length} bytes`);
    expect(dead[0]!.reason).to.include('max_event_size_in_mb');
    expect(dead[0]!.reason).to.include(createHash('sha256').update(huge).digest('hex'));
    expect(dead[0]!.record).to.equal(huge.subarray(0, 4096).toString('utf8'));
    expect(logs.some((l) => l.includes('POD_EVENT_TOO_LARGE'))).to.equal(true);
    const grown = (heapPeak - heapBefore) / 1048576;
    expect(grown, `heap growth ${grown.toFixed(0)} MiB`).to.be.below(200);
    console.log(`      a ${(huge.length / 1048576).toFixed(0)} MiB frame with line breaks: dead-lettered, heap +${grown.toFixed(0)} MiB at most`);
  });

  it('a frame too large for max_event_size_in_mb moves the cursor past it, as a delivered one would', async () => {
    const t0 = Date.now() - 60_000;
    const big = event('big', new Date(t0 + 5000).toISOString(), { pad: 'y'.repeat(2 * 1024 * 1024) });
    pod = await HostilePod.start((ws, session) => {
      if (session > 0) return;
      ws.send(event('small', new Date(t0).toISOString()));
      ws.send(big);
    });
    const collector = run(pod.url, { maxEventBytes: 1024 * 1024 });
    await waitFor(() => relay.unique === 1, 'the small event at the relay');
    await waitFor(() => logs.some((l) => l.includes('POD_EVENT_TOO_LARGE')), 'the big one dead-lettered');
    await collector.stop();
    expect((await persisted())?.lastEventTime).to.equal(t0 + 5000);
  });

  it('a frame with raw line breaks between its tokens, under the limit, is delivered as one line, its other bytes unchanged', async () => {
    const text = '{\r\n  "guid": "multi",\n  "ts": "' + new Date().toISOString() + '",\n  "s": "a\\nb \\u00e9",\n  "n": [1,\n 2.50]\n}\n';
    pod = await HostilePod.start((ws, session) => {
      if (session === 0) ws.send(text);
    });
    const collector = run(pod.url);
    await waitFor(() => relay.unique === 1, 'the event at the relay');
    await collector.stop();
    expect(relay.lines).to.have.length(1);
    expect(relay.lines[0]!.body).to.equal(text.trim().replace(/[\r\n]/g, ' '));
  });

  it('a burst of big frames under queue_max_size_in_mb: 16: the sort window holds no more than its share of the bytes', async () => {
    const config = decodeConfig(
      {
        globals: { id: '1', name: 'burst', queue_max_size_in_mb: 16 },
        outputs: { devo_1: { type: 'devo_platform', config: { address: 'h', port: 443, type: 'SSL', chain: 'a', cert: 'b', key: 'c' } } },
        inputs: { proofpoint_on_demand: { id: '1', credentials: { cluster_id: 'c', api_token: TOKEN }, services: { message: {} } } },
      },
      { baseDir: '/tmp' },
    );
    const frameBytes = 512 * 1024;
    const total = 160;
    const t0 = Date.now() - 60_000;
    pod = await HostilePod.start((ws, session) => {
      if (session > 0) return;
      for (let i = 0; i < total; i++) ws.send(event(`big-${i}`, new Date(t0 + i).toISOString(), { pad: 'z'.repeat(frameBytes) }));
    });
    const telemetry = new ServiceTelemetry('proofpoint_on_demand', '1', 'message', Date.now);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, telemetry.holds.sortWindow)), 2);
    try {
      // A window long enough to hold the whole burst by its count and time bounds.
      const collector = run(
        pod.url,
        {},
        { telemetry, tuning: { ...podTuningFor(config), sortMaxDelayMs: 3000, commitIntervalMs: 50, statsIntervalMs: 60_000 } },
      );
      await waitFor(() => relay.unique === total, 'every big event at the relay', 20_000);
      await collector.stop();
    } finally {
      clearInterval(sampler);
    }
    const heldMiB = (peak * frameBytes) / 1048576;
    console.log(`      ${total} frames of 512 KiB, queue_max_size_in_mb 16: at most ${peak} events (${heldMiB.toFixed(1)} MiB) in the sort window`);
    expect(heldMiB, 'MiB in the sort window').to.be.at.most(16);
  });
});
