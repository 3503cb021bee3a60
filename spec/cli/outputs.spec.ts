import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { PodSimulator } from '../../lib/simulators/podSimulator';
import { expectedKeys, fixturePod, lineKey, SECRET_ENV } from '../helpers/collectorFixture';
import { CollectorProcess } from '../helpers/collectorProcess';
import { runCli } from '../helpers/runCli';
import { Rsyslog } from '../helpers/rsyslog';
import { tempDir } from '../helpers/tempDir';
import { sleep, waitFor } from '../helpers/waitFor';

const CLI = path.join(__dirname, '..', '..', 'lib', 'cli', 'main.js');
const LINE = /^<14>(\S+) (\S+) (\S+): (.*)$/;

/** A config with a PoD input on the simulator and `output` as its one output. */
function configText(podUrl: string, output: string): string {
  return `globals: { id: "1", name: outputs }
outputs:
${output}
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

/** Delivery counts per event key of syslog lines. */
function countKeys(lines: readonly string[]): { counts: Map<string, number>; malformed: string[] } {
  const counts = new Map<string, number>();
  const malformed: string[] = [];
  for (const line of lines) {
    const m = LINE.exec(line);
    if (m === null) {
      malformed.push(line);
      continue;
    }
    const key = String(lineKey(JSON.parse(m[4]!) as Record<string, unknown>));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { counts, malformed };
}

describe('CLI run with each output type (real processes, real relays)', function () {
  this.timeout(90_000);
  let dir: string;
  let remove: () => Promise<void>;
  let pod: PodSimulator | undefined;
  let relay: Rsyslog | undefined;
  const processes: CollectorProcess[] = [];

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.dispose();
    await pod?.stop();
    await relay?.stop();
    pod = undefined;
    relay = undefined;
    await remove();
  });

  it('type syslog: every PoD event reaches rsyslog imtcp once, tagged, over plain TCP; SIGTERM exits 0', async () => {
    const total = 1500;
    pod = await fixturePod({ rate: 1000, total, duplicateRate: 0 });
    relay = await Rsyslog.start();
    await writeFile(
      path.join(dir, 'config.yaml'),
      configText(pod.url, `  relay_1:\n    type: syslog\n    config: { address: 127.0.0.1, port: ${relay.port}, hostname: edge-1 }`),
    );
    const collector = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: SECRET_ENV });
    processes.push(collector);
    let lines: string[] = [];
    for (const deadline = Date.now() + 40_000; lines.length < 2 * total && Date.now() < deadline; await sleep(200)) lines = await relay.lines();
    collector.kill('SIGTERM');
    expect((await collector.exited).code, collector.stdout).to.equal(0);
    lines = await relay.lines();
    const { counts, malformed } = countKeys(lines);
    expect(malformed).to.deep.equal([]);
    expect(counts.size, 'distinct events').to.equal(2 * total);
    expect([...counts.keys()].every((k) => expectedKeys(total, 0).has(k))).to.equal(true);
    expect(
      [...counts.values()].filter((c) => c > 1),
      'duplicates',
    ).to.deep.equal([]);
    expect(LINE.exec(lines[0]!)?.[2]).to.equal('edge-1');
    expect(
      lines
        .map((l) => LINE.exec(l)?.[3])
        .filter((t, i, a) => a.indexOf(t) === i)
        .sort(),
    ).to.deep.equal(['mail.proofpoint.pod.maillog', 'mail.proofpoint.pod.message']);
    expect(collector.stdout).to.match(/Connected to the syslog relay at 127\.0\.0\.1:\d+ \(plain TCP\)/);
    expect(collector.stdout, 'loopback: no clear-text warning').not.to.include('over plain TCP: every event crosses the network in clear text');
  });

  it('type console: each event is one line on standard output, piped; the log goes to standard error', async () => {
    const total = 1000;
    pod = await fixturePod({ rate: 1000, total, duplicateRate: 0 });
    await writeFile(path.join(dir, 'config.yaml'), configText(pod.url, '  console_1:\n    type: console'));
    const collector = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: SECRET_ENV });
    processes.push(collector);
    await waitFor(() => collector.stdout.split('\n').length > 2 * total, 'every event on stdout', 40_000);
    collector.kill('SIGTERM');
    expect((await collector.exited).code, collector.stderr).to.equal(0);
    const lines = collector.stdout.split('\n').filter((l) => l !== '');
    const { counts, malformed } = countKeys(lines);
    expect(malformed, 'nothing but event lines on stdout').to.deep.equal([]);
    expect(counts.size).to.equal(2 * total);
    expect(
      [...counts.values()].filter((c) => c > 1),
      'duplicates',
    ).to.deep.equal([]);
    expect(collector.stderr).to.match(/INFO MainProcess::MainThread -> Collector outputs \(1\) started/);
    expect(collector.stderr).to.include('Stopped');
  });

  it('type console with standard output closed by its reader (EPIPE): CONSOLE_OUTPUT_CLOSED on standard error, exit 1, no restart loop', async () => {
    pod = await fixturePod({ rate: 2000, total: 100_000, duplicateRate: 0 });
    await writeFile(path.join(dir, 'config.yaml'), configText(pod.url, '  console_1:\n    type: stdout'));
    const child = spawn(process.execPath, [CLI, 'run', '--config', 'config.yaml'], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', ...SECRET_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let received = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        received += d.length;
        if (received > 10_000) resolve();
      });
    });
    // The reader goes away, as `| head` does.
    child.stdout.destroy();
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 20_000)))]);
    clearTimeout(timer);
    if (code === 'still running') {
      child.kill('SIGKILL');
      await exited;
    }
    expect(code, stderr).to.equal(1);
    expect(stderr).to.match(
      /ERROR OutputProcess::ConsoleSender\(console_1\) -> CONSOLE_OUTPUT_CLOSED: Standard output was closed under outputs\.console_1 \(type stdout\) \(EPIPE\)/,
    );
    expect(stderr.match(/ERROR OutputProcess::ConsoleSender.*CONSOLE_OUTPUT_CLOSED/g), 'reported once').to.have.length(1);
    expect(stderr).not.to.include('UNCAUGHT_EXCEPTION');
    expect(stderr, 'no service restarted').not.to.match(/Restarting it in/);
    expect(stderr).to.match(/^CONSOLE_OUTPUT_CLOSED: /m);
  });

  it('validate: a Devo config with a syslog, a relay or a console output is valid (certificates read only where there are some); an unknown type names the valid ones', async () => {
    const base = 'ws://127.0.0.1:9';
    await writeFile(path.join(dir, 'syslog.yaml'), configText(base, '  relay_1: { type: in_house_relay, config: { address: 10.0.0.5 } }'));
    const syslog = await runCli(['validate', '--config', 'syslog.yaml'], { cwd: dir, env: SECRET_ENV });
    expect(syslog.code, syslog.stderr).to.equal(0);
    expect(syslog.stdout).to.include('syslog.yaml: valid.');
    expect(syslog.stderr).to.include(
      'outputs.relay_1 (type in_house_relay) sends to 10.0.0.5:13000 over plain TCP: every event crosses the network in clear text',
    );
    await writeFile(path.join(dir, 'console.yaml'), configText(base, '  console_1: { type: stdout }'));
    const console = await runCli(['validate', '--config', 'console.yaml'], { cwd: dir, env: SECRET_ENV });
    expect(console.code, console.stderr).to.equal(0);
    await writeFile(path.join(dir, 'consoles.yaml'), configText(base, '  console_1: { type: stdout }\n  console_2: { type: console }'));
    const consoles = await runCli(['validate', '--config', 'consoles.yaml'], { cwd: dir, env: SECRET_ENV });
    expect(consoles.code).to.equal(1);
    expect(consoles.stderr).to.include("outputs.console_1 (type stdout), outputs.console_2 (type console): all write to the collector's standard output");
    await writeFile(
      path.join(dir, 'relay.yaml'),
      configText(
        base,
        '  relay_1: { type: relay, config: { address: relay.lan, port: 443, type: SSL, chain_loc: chain.crt, cert_loc: c.crt, key_loc: c.key } }',
      ),
    );
    const relay = await runCli(['validate', '--config', 'relay.yaml'], { cwd: dir, env: SECRET_ENV });
    expect(relay.code).to.equal(1);
    expect(relay.stderr).to.include(`outputs.relay_1.config.chain: file not found: ${path.join(dir, 'certs', 'chain.crt')}`);
    await writeFile(path.join(dir, 'kafka.yaml'), configText(base, '  out_1: { type: kafka, config: {} }'));
    const kafka = await runCli(['validate', '--config', 'kafka.yaml'], { cwd: dir, env: SECRET_ENV });
    expect(kafka.code).to.equal(1);
    expect(kafka.stderr).to.include(
      'outputs.out_1.type: expected one of "devo_platform", "relay", "in_house_relay", "syslog", "sidecar", "console", "stdout", got "kafka"',
    );
  });
});
