import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { type CasbTimeline } from '../../lib/simulators/casbRecords';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { writeCertFiles } from '../helpers/certFiles';
import {
  committedKeys,
  expectedKeys,
  fixtureCasb,
  fixturePod,
  lineKey,
  parentKey,
  SECRET_ENV,
  SECRETS,
  writeCollectorConfig,
} from '../helpers/collectorFixture';
import { CollectorProcess } from '../helpers/collectorProcess';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { sleep, waitFor } from '../helpers/waitFor';

describe('CLI run (a real collector process against the simulators)', function () {
  this.timeout(90_000);
  let pki: ThrowawayPki;
  let dir: string;
  let remove: () => Promise<void>;
  let sim: { stop(): Promise<void> };
  let relay: RelayLog;
  const processes: CollectorProcess[] = [];

  before(async () => {
    pki = await sharedPki();
  });
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    await writeCertFiles(path.join(dir, 'certs'), pki);
    relay = await RelayLog.start(pki, lineKey);
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.dispose();
    await sim.stop();
    await relay.stop();
    await remove();
  });

  function start(): CollectorProcess {
    const p = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: SECRET_ENV });
    processes.push(p);
    return p;
  }

  it('with multiprocessing: true, runs a worker thread per service, serves them all on one endpoint, and stops them cleanly on SIGTERM', async () => {
    const total = 2000;
    const pod = await fixturePod({ rate: 800, total, duplicateRate: 0.01 });
    sim = pod;
    await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url, multiprocessing: true });
    const collector = new CollectorProcess(['run', '--config', 'config.yaml', '--http', '127.0.0.1:0'], { cwd: dir, env: SECRET_ENV });
    processes.push(collector);
    await waitFor(() => relay.unique >= 2 * total, 'every event', 40_000);
    const url = /Serving \/metrics, \/health, \/ready and \/status at (http:\/\/[\d.:]+)/.exec(collector.stdout)?.[1];
    expect(url, 'the endpoint').to.be.a('string');
    expect(collector.stdout.match(/Serving \/metrics/g), "one endpoint, the main thread's").to.have.length(1);
    expect(collector.stdout).to.match(
      /started with 2 worker thread\(s\) \(multiprocessing, a Devo connection each\): pod\/message \[pod\/message\], pod\/maillog \[pod\/maillog\]/,
    );
    for (const service of ['message', 'maillog'])
      expect(collector.stdout).to.match(new RegExp(`INFO InputProcess::PodPuller\\(proofpoint_on_demand,7,${service},predefined\\) -> Connected`));
    let received = 0;
    for (const deadline = Date.now() + 15_000; received < 2 * total && Date.now() < deadline; await sleep(250)) {
      const metrics = await (await fetch(`${url!}/metrics`)).text();
      received = [...metrics.matchAll(/^proofpoint_devo_events_received_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    }
    expect(received, 'the main thread counts what the workers received').to.be.at.least(2 * total);
    const signalled = Date.now();
    collector.kill('SIGTERM');
    expect((await collector.exited).code).to.equal(0);
    expect(Date.now() - signalled).to.be.lessThan(12_000);
    for (const service of ['message', 'maillog']) {
      const saved = JSON.parse(await readFile(path.join(dir, 'state', `proofpoint_on_demand-7-${service}.json`), 'utf8')) as { state: { cleanStop: boolean } };
      expect(saved.state.cleanStop, service).to.equal(true);
    }
    expect(relay.duplicates).to.equal(0);
    expect(collector.stdout).not.to.include(SECRETS.podToken);
  });

  it('on SIGTERM (and SIGINT) flushes, persists a clean stop and exits 0; a restart neither loses nor duplicates; no secret is logged', async () => {
    const total = 3000;
    const pod = await fixturePod({ rate: 600, total, duplicateRate: 0.01 });
    sim = pod;
    await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url, hostname: 'cli-host' });
    const first = start();
    await waitFor(() => relay.unique >= 1000, 'events from the first run', 30_000);
    const signalled = Date.now();
    first.kill('SIGTERM');
    const exit = await first.exited;
    expect(exit).to.deep.equal({ code: 0, signal: null });
    expect(Date.now() - signalled).to.be.lessThan(10_000);
    expect(first.stdout)
      .to.match(/SIGTERM received/)
      .and.match(/INFO MainProcess::MainThread -> Stopped/);
    const state = JSON.parse(await readFile(path.join(dir, 'state', 'proofpoint_on_demand-7-message.json'), 'utf8')) as { state: { cleanStop: boolean } };
    expect(state.state.cleanStop).to.equal(true);

    const second = start();
    await waitFor(() => relay.unique >= 2 * total, 'every event', 40_000);
    second.kill('SIGINT');
    expect((await second.exited).code).to.equal(0);
    expect(second.stdout).to.match(/SIGINT received/);
    expect(new Set(relay.counts.keys())).to.deep.equal(expectedKeys(total, 0));
    expect(relay.duplicates).to.equal(0);
    expect(relay.lines.every((l) => l.host === 'cli-host')).to.equal(true);
    for (const out of [first.stdout, first.stderr, second.stdout, second.stderr]) expect(out).not.to.include(SECRETS.podToken);
  });

  it('a stop while the Devo relay is down says what it waits for, and for how long, and keeps to it', async () => {
    const pod = await fixturePod({ rate: 600, total: 2000, duplicateRate: 0 });
    sim = pod;
    const port = relay.port;
    await relay.stop();
    await writeCollectorConfig(dir, { relayPort: port, podUrl: pod.url });
    const collector = start();
    await waitFor(
      () => /DEVO_CONNECT_FAILED/.test(collector.stdout) && /Pull Started|session started|Connected to the PoD/.test(collector.stdout),
      'the relay refused, the PoD stream open',
      30_000,
    );
    await sleep(1000);
    const signalled = Date.now();
    collector.kill('SIGTERM');
    expect((await collector.exited).code).to.equal(0);
    const took = Date.now() - signalled;
    expect(collector.stdout).to.match(
      /Stopping: closing sources, flushing the sink, persisting state \(waiting at most 8 s for the services to flush, then 1 s for the Devo relay to confirm what they wrote; the relay has confirmed nothing since \S+Z, so the stop may take that long, and what it does not confirm is pulled again at the next start\)/,
    );
    expect(took).to.be.below(8_000 + 1_000 + 3_000);
    relay = await RelayLog.start(pki, lineKey);
  });

  it('after SIGKILL, a restart loses nothing and re-delivers at most what was sent after the last commit', async () => {
    const total = 4000;
    const pod = await fixturePod({ rate: 800, total, duplicateRate: 0 });
    sim = pod;
    await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url });
    const first = start();
    await waitFor(() => relay.unique >= 2500, 'events from the first run', 30_000);
    // Delivery is confirmed (and the cursor committed) within the sender's 10 s confirm period.
    const cursor = async () =>
      (
        JSON.parse(await readFile(path.join(dir, 'state', 'proofpoint_on_demand-7-message.json'), 'utf8').catch(() => '{"state":{}}')) as {
          state: { lastEventTime?: number | null };
        }
      ).state.lastEventTime;
    for (const deadline = Date.now() + 15_000; typeof (await cursor()) !== 'number';) {
      if (Date.now() > deadline) throw new Error('no cursor committed within 15 s');
      await sleep(100);
    }
    first.kill('SIGKILL');
    await first.exited;
    await sleep(500);
    const committed = await committedKeys(path.join(dir, 'state'));
    const delivered = relay.unique;
    const uncommitted = [...relay.counts.keys()].filter((k) => !committed.has(k)).length;

    const second = start();
    await waitFor(() => relay.unique >= 2 * total, 'every event', 40_000);
    second.kill('SIGINT');
    expect((await second.exited).code).to.equal(0);
    expect(second.stdout).to.match(/SIGINT received/);
    expect(new Set(relay.counts.keys())).to.deep.equal(expectedKeys(total, 0));
    expect(relay.duplicates).to.be.at.most(uncommitted);
    expect(second.stdout).to.match(/the previous run did not stop cleanly: catching up from \S+, the hour of the earliest event it may not have delivered/);
    console.log(
      `      SIGKILL: ${delivered} delivered before the kill, ${committed.size} committed, ${uncommitted} not committed, ${relay.duplicates} re-delivered after restart; lost: 0`,
    );
  });

  it('CASB: after SIGKILL, a restart loses nothing and re-delivers at most the records of uncommitted pages', async () => {
    const timeline: CasbTimeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1000 };
    const total = 2500;
    const casb = await fixtureCasb({ mode: 'backlog', alerts: { timeline, total }, events: { timeline, total } });
    sim = casb;
    await writeCollectorConfig(dir, { relayPort: relay.port, casbUrl: casb.url });
    const expected = expectedKeys(0, total, timeline);
    const env = SECRET_ENV;
    const first = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env });
    processes.push(first);
    await waitFor(() => relay.lines.length >= 2000, 'records from the first run', 30_000);
    first.kill('SIGKILL');
    await first.exited;
    await sleep(300);
    const committed = await committedKeys(path.join(dir, 'state'));
    const uncommitted = relay.lines.filter((l) => !committed.has(parentKey(l.key))).length;
    const second = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env });
    processes.push(second);
    await waitFor(() => relay.unique >= expected.size, 'every record', 60_000);
    second.kill('SIGTERM');
    expect((await second.exited).code).to.equal(0);
    expect(new Set(relay.counts.keys())).to.deep.equal(expected);
    expect(relay.duplicates).to.be.at.most(uncommitted);
    for (const out of [first.stdout, second.stdout, first.stderr, second.stderr]) {
      for (const secret of Object.values(SECRETS)) expect(out).not.to.include(secret);
    }
    console.log(
      `      CASB SIGKILL: ${expected.size} records, ${uncommitted} delivered but not committed at the kill, ${relay.duplicates} re-delivered; lost: 0`,
    );
  });
});
