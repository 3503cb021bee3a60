import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { flattenRecord } from '../../lib/operators/flatten';
import { casbAlert, casbEvent, type CasbTimeline } from '../../lib/simulators/casbRecords';
import { CasbSimulator } from '../../lib/simulators/casbSimulator';
import { podEventKey } from '../../lib/simulators/podEvents';
import { PodSimulator } from '../../lib/simulators/podSimulator';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { writeCertFiles } from '../helpers/certFiles';
import { CollectorProcess } from '../helpers/collectorProcess';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { sleep, waitFor } from '../helpers/waitFor';

const TOKEN = 'tok-cli-run-5f2a9c';

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
    // PoD events are keyed by guid/id; CASB records by id and flattening index.
    relay = await RelayLog.start(pki, (b) =>
      'ts' in b ? (b['guid'] ?? b['id']) : `${String(b['id'])}#${String(b['related_events_index'] ?? b['additionalProperties_index'] ?? '-')}`,
    );
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.dispose();
    await sim.stop();
    await relay.stop();
    await remove();
  });

  async function writeConfig(url: string): Promise<void> {
    await writeFile(
      path.join(dir, 'config.yaml'),
      `globals: { id: "1", name: clitest }
outputs:
  devo_1:
    type: devo_platform
    config: { address: localhost, port: ${relay.port}, type: SSL, chain: chain.crt, cert: client.crt, key: client.key, hostname: cli-host }
inputs:
  proofpoint_on_demand:
    id: "7"
    credentials: { cluster_id: acme, api_token: "\${POD_TOKEN}" }
    override_url_base: ${url}
    services:
      message: { period_in_seconds: 1 }
      maillog: { period_in_seconds: 1 }
`,
    );
  }

  function start(): CollectorProcess {
    const p = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: { POD_TOKEN: TOKEN } });
    processes.push(p);
    return p;
  }

  const expected = (total: number) => new Set([...Array.from({ length: total }, (_, i) => podEventKey('message', i)), ...Array.from({ length: total }, (_, i) => podEventKey('maillog', i))]);

  it('on SIGTERM (and SIGINT) flushes, persists a clean stop and exits 0; a restart neither loses nor duplicates; no secret is logged', async () => {
    const total = 3000;
    const pod = await PodSimulator.start({ token: TOKEN, clusterId: 'acme', types: ['message', 'maillog'], rate: 600, total, duplicateRate: 0.01 });
    sim = pod;
    await writeConfig(pod.url);
    const first = start();
    await waitFor(() => relay.unique >= 1000, 'events from the first run', 30_000);
    const signalled = Date.now();
    first.kill('SIGTERM');
    const exit = await first.exited;
    expect(exit).to.deep.equal({ code: 0, signal: null });
    expect(Date.now() - signalled).to.be.lessThan(10_000);
    expect(first.stdout).to.match(/SIGTERM received/).and.match(/INFO MainProcess::MainThread -> Stopped/);
    const state = JSON.parse(await readFile(path.join(dir, 'state', 'proofpoint_on_demand-7-message.json'), 'utf8')) as { state: { cleanStop: boolean } };
    expect(state.state.cleanStop).to.equal(true);

    const second = start();
    await waitFor(() => relay.unique >= 2 * total, 'every event', 40_000);
    second.kill('SIGINT');
    expect((await second.exited).code).to.equal(0);
    expect(second.stdout).to.match(/SIGINT received/);
    expect(new Set(relay.counts.keys())).to.deep.equal(expected(total));
    expect(relay.duplicates).to.equal(0);
    expect(relay.lines.every((l) => l.host === 'cli-host')).to.equal(true);
    for (const out of [first.stdout, first.stderr, second.stdout, second.stderr]) expect(out).not.to.include(TOKEN);
  });

  it('after SIGKILL, a restart loses nothing and re-delivers at most what was sent after the last commit', async () => {
    const total = 4000;
    const pod = await PodSimulator.start({ token: TOKEN, clusterId: 'acme', types: ['message', 'maillog'], rate: 800, total, duplicateRate: 0 });
    sim = pod;
    await writeConfig(pod.url);
    const first = start();
    await waitFor(() => relay.unique >= 2500, 'events from the first run', 30_000);
    first.kill('SIGKILL');
    await first.exited;
    await sleep(500);
    const committed = new Set<string>();
    for (const service of ['message', 'maillog']) {
      const journal = await readFile(path.join(dir, 'state', `proofpoint_on_demand-7-${service}.dedup.jsonl`), 'utf8').catch(() => '');
      for (const line of journal.split('\n').filter((l) => l !== '')) committed.add((JSON.parse(line) as [string, number])[0]);
    }
    const delivered = relay.unique;
    const uncommitted = [...relay.counts.keys()].filter((k) => !committed.has(k)).length;

    const second = start();
    await waitFor(() => relay.unique >= 2 * total, 'every event', 40_000);
    second.kill('SIGINT');
    expect((await second.exited).code).to.equal(0);
    expect(second.stdout).to.match(/SIGINT received/);
    expect(new Set(relay.counts.keys())).to.deep.equal(expected(total));
    expect(relay.duplicates).to.be.at.most(uncommitted);
    expect(second.stdout).to.match(/the previous run did not stop cleanly: catching up from the hour of the last delivered event/);
    console.log(`      SIGKILL: ${delivered} delivered before the kill, ${committed.size} committed, ${uncommitted} not committed, ${relay.duplicates} re-delivered after restart; lost: 0`);
  });

  it('CASB: after SIGKILL, a restart loses nothing and re-delivers at most the records of uncommitted pages', async () => {
    const timeline: CasbTimeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1000 };
    const total = 2500;
    const casb = await CasbSimulator.start({ apiKey: 'k-cli-123456', clientId: 'c', clientSecret: 'cli-secret-987654', mode: 'backlog', alerts: { timeline, total }, events: { timeline, total } });
    sim = casb;
    await writeFile(
      path.join(dir, 'config.yaml'),
      `globals: { id: "1", name: clitest }
outputs:
  devo_1:
    type: devo_platform
    config: { address: localhost, port: ${relay.port}, type: SSL, chain: chain.crt, cert: client.crt, key: client.key }
inputs:
  proofpoint_casb:
    id: "3"
    credentials: { api_key: k-cli-123456, client_id: c, client_secret: "\${CASB_SECRET}" }
    override_url_base: ${casb.url}
    requests_per_second: 20
    services:
      alerts: { initial_start_time_in_utc: "2024-01-01T00:00:00Z" }
      events: { initial_start_time_in_utc: "2024-01-01T00:00:00Z" }
`,
    );
    const expected = new Set<string>();
    for (let i = 0; i < total; i++) {
      for (const [parent, field] of [[casbAlert(i, timeline), 'related_events'], [casbEvent(i, timeline), 'additionalProperties']] as const) {
        for (const r of flattenRecord(parent, field)) expected.add(`${String(r['id'])}#${String(r[`${field}_index`] ?? '-')}`);
      }
    }
    const env = { CASB_SECRET: 'cli-secret-987654' };
    const first = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env });
    processes.push(first);
    await waitFor(() => relay.lines.length >= 2000, 'records from the first run', 30_000);
    first.kill('SIGKILL');
    await first.exited;
    await sleep(300);
    const committed = new Set<string>();
    for (const service of ['alerts', 'events']) {
      const journal = await readFile(path.join(dir, 'state', `proofpoint_casb-3-${service}.dedup.jsonl`), 'utf8').catch(() => '');
      for (const line of journal.split('\n').filter((l) => l !== '')) committed.add((JSON.parse(line) as [string, number])[0]);
    }
    const uncommitted = relay.lines.filter((l) => !committed.has(l.key.split('#')[0]!)).length;
    const second = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env });
    processes.push(second);
    await waitFor(() => relay.unique >= expected.size, 'every record', 60_000);
    second.kill('SIGTERM');
    expect((await second.exited).code).to.equal(0);
    expect(new Set(relay.counts.keys())).to.deep.equal(expected);
    expect(relay.duplicates).to.be.at.most(uncommitted);
    for (const out of [first.stdout, second.stdout, first.stderr, second.stderr]) expect(out).not.to.include('cli-secret-987654');
    console.log(`      CASB SIGKILL: ${expected.size} records, ${uncommitted} delivered but not committed at the kill, ${relay.duplicates} re-delivered; lost: 0`);
  });
});
