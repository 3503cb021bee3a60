import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { Subject, type Subscription } from 'rxjs';
import WebSocket from 'ws';
import type { PodInputConfig, PodServiceConfig } from '../../../lib/config/collectorConfig';
import { createLogger } from '../../../lib/log/logger';
import { podEvent, podEventKey, podEventTime, type PodTimeline } from '../../../lib/simulators/podEvents';
import { PodSimulator, type PodSimulatorOptions } from '../../../lib/simulators/podSimulator';
import type { ThrowawayPki } from '../../../lib/simulators/throwawayPki';
import { DevoSender } from '../../../lib/sinks/devoSender';
import type { DevoWriter } from '../../../lib/sinks/devoWriter';
import { podService, podStateBase } from '../../../pipelines/pod/pod';
import { sharedPki } from '../../helpers/pki';
import { RelayLog } from '../../helpers/relayLog';
import { tempDir } from '../../helpers/tempDir';
import { waitFor } from '../../helpers/waitFor';
import { relaySender } from '../../helpers/relaySender';

const TOKEN = 'tok-e2e-0123456789';
const CID = 'acme_hosted';

describe('POD pipeline end to end (simulator → pipeline → mutual-TLS relay)', function () {
  this.timeout(60_000);
  let pki: ThrowawayPki;
  let dir: string;
  let remove: () => Promise<void>;
  let sim: PodSimulator | undefined;
  let relay: RelayLog;
  let sender: DevoSender;
  let logs: string[];
  const running: Array<{ subscription: Subscription; stop$: Subject<void> }> = [];

  before(async () => {
    pki = await sharedPki();
  });
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    logs = [];
    relay = await RelayLog.start(pki, (b) => b['guid'] ?? b['id']);
    sender = relaySender(pki, relay.port, { confirmAfterMs: 300 });
  });
  afterEach(async () => {
    for (const r of running.splice(0)) r.subscription.unsubscribe();
    await sender.close(1000);
    await sim?.stop();
    sim = undefined;
    await relay.stop();
    await remove();
  });

  async function simulate(options: Partial<PodSimulatorOptions> & { timeline: PodTimeline }): Promise<PodSimulator> {
    sim = await PodSimulator.start({ token: TOKEN, clusterId: CID, types: ['message'], ...options });
    return sim;
  }

  function input(service: PodServiceConfig): PodInputConfig {
    return { inputId: '12345', enabled: true, clusterId: CID, apiToken: TOKEN, services: [service] };
  }

  /** Starts one run of the service; `done` resolves when it completes after stop(). */
  function runService(overrides: Partial<PodServiceConfig> = {}, writer: DevoWriter = sender, now?: () => number) {
    const service: PodServiceConfig = {
      name: 'message',
      periodMs: 100,
      tag: 'mail.proofpoint.pod.message',
      urlBase: sim!.url,
      dedupMaxBytes: 64 * 1024 * 1024,
      maxEventBytes: 32 * 1024 * 1024,
      ...overrides,
    };
    const stop$ = new Subject<void>();
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const subscription = podService(input(service), service, {
      writer,
      logger: createLogger({ write: (l) => logs.push(l), debug: true }),
      stateDirectory: dir,
      hostname: 'collector-7',
      ...(now !== undefined ? { now } : {}),
      batch: { maxDelayMs: 50 },
      tuning: { sortMaxDelayMs: 200, commitIntervalMs: 100, statsIntervalMs: 60_000 },
    })
      .run(stop$)
      .subscribe({ complete: () => finished(), error: (e: unknown) => logs.push(`PIPELINE ERROR ${String(e)}`) });
    running.push({ subscription, stop$ });
    return {
      done,
      stop: async () => {
        stop$.next();
        stop$.complete();
        await done;
      },
      crash: () => subscription.unsubscribe(),
    };
  }

  async function state(): Promise<{ version: number; state: Record<string, unknown> }> {
    return JSON.parse(await readFile(`${podStateBase(dir, '12345', 'message')}.json`, 'utf8')) as { version: number; state: Record<string, unknown> };
  }

  it('delivers every unique event once, unchanged, tagged and in order, through a 409, drops, a normal close and bad frames', async () => {
    // Events start in 1.5 s: the session that holds the token meanwhile gets none (and no drop).
    const timeline = { startTime: Date.now() + 1500, intervalMs: 0.5 };
    const total = 3000;
    await simulate({
      timeline,
      total,
      mode: 'realtime',
      duplicateRate: 0.02,
      disorderWindow: 4,
      dropEveryFrames: 700,
      malformedEvery: 250,
      largeEvery: 1000,
      largeBytes: 1_200_000,
      binaryEvery: 11,
    });
    // Another session holds the token for a while: the pipeline's first handshakes get 409.
    const holder = new WebSocket(`${sim!.url}/v1/stream?cid=${CID}&type=message`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    await new Promise((resolve) => holder.once('open', resolve));
    const run = runService();
    await waitFor(() => logs.some((l) => l.includes('POD_HANDSHAKE_409: Handshake status 409 Conflict')), 'a 409');
    holder.close();
    await waitFor(() => relay.unique >= total / 2, 'half of the events', 20_000);
    sim!.disconnectAll();
    await waitFor(() => relay.unique >= total, 'every event', 30_000);
    await run.stop();

    const expectedKeys = Array.from({ length: total }, (_, i) => podEventKey('message', i));
    expect(relay.unique).to.equal(total);
    expect(relay.duplicates).to.equal(0);
    expect(relay.malformed).to.deep.equal([]);
    expect(new Set(relay.lines.map((l) => l.key))).to.deep.equal(new Set(expectedKeys));
    const indexOf = new Map(expectedKeys.map((k, i) => [k, i]));
    for (const line of relay.lines) {
      const i = indexOf.get(line.key)!;
      expect(line.tag).to.equal('mail.proofpoint.pod.message');
      expect(line.host).to.equal('collector-7');
      expect(line.time).to.equal(new Date(podEventTime(timeline, i)).toISOString());
      const large = (i + 1) % 1000 === 0;
      expect(
        line.body === podEvent('message', i, timeline, { clusterId: CID, ...(large ? { largeBytes: 1_200_000 } : {}) }),
        `event ${i} byte for byte`,
      ).to.equal(true);
    }
    // In order, but for the simulator's local disorder across a session boundary: the sort window
    // is flushed when a session closes, and the next session may still owe an earlier event of the
    // same disordered block (4 events = 2 ms here).
    const times = relay.lines.map((l) => Date.parse(l.time));
    const backwards = times.map((t, i) => (i > 0 ? times[i - 1]! - t : 0)).filter((d) => d > 0);
    expect(Math.max(0, ...backwards)).to.be.at.most(2);
    expect(backwards.length).to.be.at.most(sim!.stats.sessions);

    const stats = sim!.stats;
    expect(stats.drops).to.be.greaterThan(0);
    expect(stats.duplicatesSent).to.be.greaterThan(0);
    const dead = (await readFile(`${podStateBase(dir, '12345', 'message')}.deadletter.jsonl`, 'utf8')).trimEnd().split('\n');
    expect(dead).to.have.length(stats.malformedSent);
    expect(logs.some((l) => /Statistics at close:.*Number of duplicated events filtered out: \d+;.*Number of events dead-lettered: \d+;/.test(l))).to.equal(
      true,
    );
    // Statistics that add up: requests count every session attempt (the 409s too), and the line says what sent counts.
    const close = logs.find((l) => l.includes('Statistics at close:'))!;
    const attempts = Object.values(stats.handshakes).reduce((a, b) => a + b, 0) - 1; // less the holder's own session
    expect(Number(/Number of requests made: (\d+);/.exec(close)?.[1])).to.equal(attempts);
    expect(stats.handshakes[409]).to.be.greaterThan(0);
    expect(close).to.match(
      /\(Requests are session attempts, failed handshakes included; sent counts the events whose delivery Devo confirmed in this period, whenever they were received\.\)$/,
    );
    const saved = await state();
    expect(saved.state).to.include({ cleanStop: true, lastEventTime: podEventTime(timeline, total - 1) });
  });

  it('after a clean stop, a restart resumes without sinceTime and neither loses nor duplicates', async () => {
    const timeline = { startTime: Date.now() - 500, intervalMs: 1 };
    const total = 4000;
    await simulate({ timeline, total, mode: 'realtime', duplicateRate: 0.01 });
    const first = runService();
    await waitFor(() => relay.unique >= 1200, 'some events', 20_000);
    await first.stop();
    expect((await state()).state).to.include({ cleanStop: true });
    const deliveredBefore = relay.unique;
    expect(deliveredBefore).to.be.lessThan(total);
    const second = runService();
    await waitFor(() => relay.unique >= total, 'every event', 30_000);
    await second.stop();
    expect(relay.unique).to.equal(total);
    expect(relay.duplicates).to.equal(0);
    expect(logs.some((l) => /No sinceTime: clean stop \d+ min ago: the server resumes/.test(l))).to.equal(true);
    expect(logs.some((l) => /sinceTime=/.test(l))).to.equal(false);
  });

  it('after a crash, catches up from the hour and loses nothing; re-delivers at most what was not committed', async () => {
    const timeline = { startTime: Date.now() - 500, intervalMs: 1 };
    const total = 4000;
    await simulate({ timeline, total, mode: 'realtime', duplicateRate: 0 });
    const first = runService();
    await waitFor(() => relay.unique >= 2000, 'some events', 20_000);
    first.crash();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const journal = (await readFile(`${podStateBase(dir, '12345', 'message')}.dedup.jsonl`, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
    const committed = new Set(journal.map((l) => (JSON.parse(l) as [string, number])[0]));
    const uncommitted = [...relay.counts.keys()].filter((k) => !committed.has(k)).length;
    expect((await state()).state).to.include({ cleanStop: false });

    const second = runService();
    await waitFor(() => relay.unique >= total, 'every event', 30_000);
    await second.stop();
    expect(relay.unique).to.equal(total);
    expect(
      logs.some((l) =>
        /sinceTime=.*the previous run did not stop cleanly: catching up from \S+, the hour of the earliest event it may not have delivered/.test(l),
      ),
    ).to.equal(true);
    expect(relay.duplicates).to.be.at.most(uncommitted);
    console.log(
      `      crash: ${relay.unique} events, ${committed.size} committed at the crash, ${uncommitted} delivered but not committed, ${relay.duplicates} re-delivered`,
    );
  });

  /** Runs, crashes once some of `total` events are delivered and committed, restarts; returns the figures. */
  async function crashAndReplay(total: number, overrides: Partial<PodServiceConfig>, minCommitted: number) {
    // Every event in one past half hour: the catch-up after the crash replays all of them.
    const timeline = { startTime: Date.now() - 30 * 60_000, intervalMs: 0.1 };
    await simulate({ timeline, total, mode: 'blast', duplicateRate: 0 });
    const first = runService(overrides);
    const journalFile = `${podStateBase(dir, '12345', 'message')}.dedup.jsonl`;
    // Complete lines only: the service may be appending while this reads (a torn last line is not committed either).
    const committedKeys = async () =>
      new Set(
        (await readFile(journalFile, 'utf8').catch(() => ''))
          .replace(/[^\n]*$/, '')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => (JSON.parse(l) as [string, number])[0]),
      );
    await waitFor(() => relay.unique >= total * 0.6, 'most events', 20_000);
    for (const deadline = Date.now() + 10_000; (await committedKeys()).size < minCommitted;) {
      if (Date.now() > deadline) throw new Error(`fewer than ${minCommitted} events committed`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.crash();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const committed = await committedKeys();
    const uncommitted = [...relay.counts.keys()].filter((k) => !committed.has(k)).length;
    const deliveredBefore = relay.unique;
    const firstRunLogs = logs.splice(0);
    const framesBefore = sim!.stats.framesSent;
    const second = runService(overrides);
    // The catch-up replays the whole hour; the stop then drains what was received.
    await waitFor(() => sim!.stats.framesSent >= framesBefore + total, 'the replay of the hour', 30_000);
    await second.stop();
    expect(relay.unique).to.equal(total);
    return { uncommitted, deliveredBefore, firstRunLogs };
  }

  it('after a crash, an hour of 10 000 events is not re-sent: the default window holds the hour', async () => {
    const figures = await crashAndReplay(10_000, {}, 5000);
    expect(relay.duplicates).to.be.at.most(figures.uncommitted);
    expect(figures.firstRunLogs.some((l) => l.includes('DEDUP_WINDOW_FULL'))).to.equal(false);
    console.log(`      crash, 10 000 events in the hour, default window: ${figures.uncommitted} delivered but not committed, ${relay.duplicates} re-sent`);
  });

  it('a window too small for the hour says so the moment it forgets a key younger than the hour', async () => {
    const figures = await crashAndReplay(10_000, { dedupMaxKeys: 1000 }, 1);
    const warning = figures.firstRunLogs.find((l) => l.includes('DEDUP_WINDOW_FULL'));
    expect(warning).to.match(
      /the de-dup window forgot \d+ key\(s\) younger than an hour .*Raise inputs\.proofpoint_on_demand\.services\.message\.dedup_max_size_in_mb \(64\) or inputs\.proofpoint_on_demand\.services\.message\.dedup_max_keys \(1000\)/,
    );
    expect(logs.some((l) => /Number of de-dup keys forgotten before the hour: \d+;/.test(l))).to.equal(true);
    // The documented case: the replay re-sends what the window forgot, all but (at most) its 1 000 keys.
    expect(relay.duplicates).to.be.at.least(figures.deliveredBefore - 1000);
    console.log(`      crash, 10 000 events in the hour, 1 000-key window: ${relay.duplicates} re-sent (the window cannot hold the hour, and says so)`);
  });

  it('a crash loop (runs that die before any delivery is confirmed) loses nothing, though the events are older than the hour every run started in', async () => {
    // As a new install meets it: the server resumes a session of the same token from up to an hour
    // back, so the first run gets events from before the hour it starts in. Each run dies before
    // the relay confirmed anything (a crash loop, a pod OOM-killed at start).
    // The simulator and the runs share a clock 10 minutes into an hour, whatever the wall clock says:
    // the events (20 to 7.5 minutes before that hour) are then always within the server's hour back.
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
    const offset = hour + 10 * 60_000 - Date.now();
    const now = () => Date.now() + offset;
    const timeline = { startTime: hour - 20 * 60_000, intervalMs: 250 };
    const total = 3000;
    await simulate({ timeline, total, mode: 'realtime', duplicateRate: 0, now });
    const stuck: DevoWriter = { send: () => ({ written: new Promise(() => undefined), delivered: new Promise(() => undefined) }) };
    for (let run = 0; run < 3; run++) {
      const dying = runService({}, stuck, now);
      const before = sim!.stats.framesSent;
      await waitFor(() => sim!.stats.framesSent >= before + 500, `events streamed to run ${run + 1}`, 20_000);
      dying.crash();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(relay.unique).to.equal(0);
    const floor = (await state()).state['catchUpFrom'];
    expect(floor, 'the floor the first run wrote, kept by every later start').to.equal(hour - 3_600_000);
    const last = runService({}, sender, now);
    await waitFor(() => relay.unique >= total, 'every event', 30_000);
    await last.stop();
    expect(relay.unique).to.equal(total);
    expect(logs.some((l) => new RegExp(`sinceTime=${new Date(hour - 3_600_000).toISOString()}: the previous run did not stop cleanly`).test(l))).to.equal(true);
  });

  it('dead-letters a frame without a parseable ts and goes on', async () => {
    const timeline = { startTime: Date.now(), intervalMs: 1 };
    await simulate({ timeline, total: 200, mode: 'blast', malformedEvery: 25, duplicateRate: 0 });
    const run = runService();
    await waitFor(() => relay.unique >= 200, 'every event', 20_000);
    await run.stop();
    const dead = (await readFile(`${podStateBase(dir, '12345', 'message')}.deadletter.jsonl`, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { reason: string }).reason);
    expect(dead).to.have.length(7);
    expect(dead.some((r) => r.startsWith('EVENT_TIME_INVALID: ts: not an ISO-8601 time'))).to.equal(true);
    expect(dead.some((r) => r.startsWith('not JSON'))).to.equal(true);
  });
});
