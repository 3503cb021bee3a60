import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
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
  let sim: PodSimulator;
  let relay: RelayLog;
  const processes: CollectorProcess[] = [];

  before(async () => {
    pki = await sharedPki();
  });
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    await writeCertFiles(path.join(dir, 'certs'), pki);
    relay = await RelayLog.start(pki, (b) => b['guid'] ?? b['id']);
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.dispose();
    await sim.stop();
    await relay.stop();
    await remove();
  });

  async function writeConfig(): Promise<void> {
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
    override_url_base: ${sim.url}
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

  it('on SIGTERM flushes, persists a clean stop and exits 0; a restart neither loses nor duplicates; no secret is logged', async () => {
    const total = 3000;
    sim = await PodSimulator.start({ token: TOKEN, clusterId: 'acme', types: ['message', 'maillog'], rate: 600, total, duplicateRate: 0.01 });
    await writeConfig();
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
    second.kill('SIGTERM');
    expect((await second.exited).code).to.equal(0);
    expect(new Set(relay.counts.keys())).to.deep.equal(expected(total));
    expect(relay.duplicates).to.equal(0);
    expect(relay.lines.every((l) => l.host === 'cli-host')).to.equal(true);
    for (const out of [first.stdout, first.stderr, second.stdout, second.stderr]) expect(out).not.to.include(TOKEN);
  });

  it('after SIGKILL, a restart loses nothing and re-delivers at most what was sent after the last commit', async () => {
    const total = 4000;
    sim = await PodSimulator.start({ token: TOKEN, clusterId: 'acme', types: ['message', 'maillog'], rate: 800, total, duplicateRate: 0 });
    await writeConfig();
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
    second.kill('SIGTERM');
    expect((await second.exited).code).to.equal(0);
    expect(new Set(relay.counts.keys())).to.deep.equal(expected(total));
    expect(relay.duplicates).to.be.at.most(uncommitted);
    expect(second.stdout).to.match(/the previous run did not stop cleanly: catching up from the hour of the last delivered event/);
    console.log(`      SIGKILL: ${delivered} delivered before the kill, ${committed.size} committed, ${uncommitted} not committed, ${relay.duplicates} re-delivered after restart; lost: 0`);
  });
});
