import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { PodSimulator } from '../../lib/simulators/podSimulator';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { writeCertFiles } from '../helpers/certFiles';
import { expectedKeys, fixturePod, lineKey, SECRET_ENV } from '../helpers/collectorFixture';
import { CollectorProcess } from '../helpers/collectorProcess';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { Rsyslog } from '../helpers/rsyslog';
import { tempDir } from '../helpers/tempDir';
import { sleep } from '../helpers/waitFor';

const LINE = /^<14>(\S+) (\S+) (\S+): (.*)$/;

/** A config with a PoD input on the simulator and two outputs: devo_1 (mutual TLS) and relay_1 (rsyslog, plain TCP). */
function configText(podUrl: string, tlsPort: number, syslogPort: number, extra: { globals?: string; http?: number } = {}): string {
  return `globals:
  id: "1"
  name: multi
${extra.globals ?? ''}${extra.http === undefined ? '' : `  http_server: { port: ${extra.http} }\n`}outputs:
  devo_1:
    type: devo_platform
    config: { address: localhost, port: ${tlsPort}, type: SSL, chain: chain.crt, cert: client.crt, key: client.key, hostname: edge-1 }
  relay_1:
    type: syslog
    config: { address: 127.0.0.1, port: ${syslogPort}, hostname: edge-1 }
inputs:
  proofpoint_on_demand:
    id: "7"
    credentials: { cluster_id: acme, api_token: "\${POD_TOKEN}" }
    override_url_base: ${podUrl}
    services:
      message: { period_in_seconds: 1 }
      maillog: { period_in_seconds: 1 }
`;
}

/** Delivery counts per event key of rsyslog's lines. */
function syslogCounts(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const m = LINE.exec(line);
    if (m === null) throw new Error(`malformed line at rsyslog: ${line}`);
    const key = String(lineKey(JSON.parse(m[4]!) as Record<string, unknown>));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Polls an asynchronous condition every 200 ms until it holds, or fails naming `what`. */
async function until(predicate: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await predicate()); await sleep(200)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

function missing(expected: ReadonlySet<string>, got: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const k of expected) if (!got.has(k)) n++;
  return n;
}

describe('CLI run with several outputs (a TLS relay and rsyslog imtcp, real processes)', function () {
  this.timeout(120_000);
  let dir: string;
  let remove: () => Promise<void>;
  let pki: ThrowawayPki;
  let pod: PodSimulator | undefined;
  let tls: RelayLog | undefined;
  let rsyslog: Rsyslog | undefined;
  const processes: CollectorProcess[] = [];

  before(async () => {
    pki = await sharedPki();
  });
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    await writeCertFiles(path.join(dir, 'certs'), pki);
    tls = await RelayLog.start(pki, lineKey);
    rsyslog = await Rsyslog.start();
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.dispose();
    await pod?.stop();
    await tls?.stop();
    await rsyslog?.stop();
    pod = undefined;
    tls = undefined;
    rsyslog = undefined;
    await remove();
  });

  function start(): CollectorProcess {
    const collector = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: SECRET_ENV });
    processes.push(collector);
    return collector;
  }

  it('every event reaches both outputs, 0 lost at either; SIGTERM exits 0', async () => {
    const total = 1500;
    pod = await fixturePod({ rate: 1000, total, duplicateRate: 0 });
    await writeFile(path.join(dir, 'config.yaml'), configText(pod.url, tls!.port, rsyslog!.port));
    const collector = start();
    const expected = expectedKeys(total, 0);
    let lines: string[] = [];
    for (const deadline = Date.now() + 40_000; (lines.length < 2 * total || tls!.unique < 2 * total) && Date.now() < deadline; await sleep(200))
      lines = await rsyslog!.lines();
    collector.kill('SIGTERM');
    expect((await collector.exited).code, collector.stdout + collector.stderr).to.equal(0);
    const counts = syslogCounts(await rsyslog!.lines());
    expect(missing(expected, counts), 'lost at relay_1 (rsyslog)').to.equal(0);
    expect(missing(expected, tls!.counts), 'lost at devo_1 (TLS)').to.equal(0);
    expect(tls!.malformed).to.deep.equal([]);
    expect(collector.stdout).to.match(/Connected to the syslog relay at 127\.0\.0\.1:\d+ \(plain TCP\)/);
  });

  it('one of the two relays killed mid-stream and back later, then a SIGKILL of the collector: 0 lost at either output, re-sends within the bound', async () => {
    const total = 4000;
    const rate = 500;
    pod = await fixturePod({ rate, total, duplicateRate: 0 });
    await writeFile(path.join(dir, 'config.yaml'), configText(pod.url, tls!.port, rsyslog!.port));
    const expected = expectedKeys(total, 0);
    let collector = start();
    await rsyslog!.waitForLines(1000, 20_000);
    await rsyslog!.kill('SIGKILL');
    const atKill = tls!.unique;
    await sleep(2000);
    // relay_1 is dead: devo_1 goes on only as far as the pipeline's in-flight bound lets it.
    await rsyslog!.listen();
    await until(async () => (await rsyslog!.lines()).length > 3000, 'relay_1 receives again', 30_000);
    collector.kill('SIGKILL');
    await collector.exited;
    collector = start();
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
      if (missing(expected, syslogCounts(await rsyslog!.lines())) === 0 && missing(expected, tls!.counts) === 0) break;
    }
    collector.kill('SIGTERM');
    expect((await collector.exited).code, collector.stdout + collector.stderr).to.equal(0);
    const counts = syslogCounts(await rsyslog!.lines());
    expect(missing(expected, counts), 'lost at relay_1 (rsyslog, killed and back)').to.equal(0);
    expect(missing(expected, tls!.counts), 'lost at devo_1 (TLS)').to.equal(0);
    const resentSyslog = [...counts.values()].reduce((a, c) => a + c - 1, 0);
    const resentTls = tls!.duplicates;
    // The stated bound (docs/delivery.md): per output, 10 s of events (the confirm period) plus 250 ms of commits at a kill, plus what a lost connection held (at most the resend window).
    const bound = Math.ceil(10.25 * 2 * rate) + 2 * rate;
    console.log(`      devo_1 had ${atKill} when relay_1 was killed; re-sent: relay_1 ${resentSyslog}, devo_1 ${resentTls} (bound ${bound} each)`);
    expect(resentSyslog).to.be.at.most(bound);
    expect(resentTls).to.be.at.most(bound);
  });

  it('balanced_output: each batch goes to one output in turn; both get batches, every event lands at one, none lost', async () => {
    const total = 1500;
    pod = await fixturePod({ rate: 1000, total, duplicateRate: 0 });
    await writeFile(path.join(dir, 'config.yaml'), configText(pod.url, tls!.port, rsyslog!.port, { globals: '  balanced_output: true\n' }));
    const collector = start();
    const expected = expectedKeys(total, 0);
    const union = async () => new Set([...syslogCounts(await rsyslog!.lines()).keys(), ...tls!.counts.keys()]);
    await until(async () => (await union()).size >= 2 * total, 'every event at one output', 40_000);
    collector.kill('SIGTERM');
    expect((await collector.exited).code, collector.stdout + collector.stderr).to.equal(0);
    const counts = syslogCounts(await rsyslog!.lines());
    const landed = await union();
    expect(
      [...expected].filter((k) => !landed.has(k)),
      'events sent nowhere',
    ).to.deep.equal([]);
    expect(counts.size, 'relay_1 got batches').to.be.greaterThan(0);
    expect(tls!.unique, 'devo_1 got batches').to.be.greaterThan(0);
    expect(
      [...counts.keys()].filter((k) => tls!.counts.has(k)),
      'no event at both',
    ).to.deep.equal([]);
    console.log(`      balanced: devo_1 ${tls!.unique}, relay_1 ${counts.size} of ${2 * total}`);
  });
});
