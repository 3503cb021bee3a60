import { expect } from 'chai';
import { statusCommand } from '../../lib/cli/statusCommand';
import { CollectorProcess } from '../helpers/collectorProcess';
import { waitFor } from '../helpers/waitFor';
import { HttpEndpoint } from '../../lib/http/httpEndpoint';
import { CollectorTelemetry } from '../../lib/telemetry/collectorTelemetry';
import { DevoSender } from '../../lib/sinks/devoSender';
import { createServer, type AddressInfo } from 'node:net';
import { sharedPki } from '../helpers/pki';

describe('proofpoint-devo-collector status (against a real /status)', function () {
  this.timeout(10_000);
  let endpoint: HttpEndpoint | undefined;
  afterEach(async () => {
    await endpoint?.close();
    endpoint = undefined;
  });

  async function serve(): Promise<CollectorTelemetry> {
    const telemetry = new CollectorTelemetry({ id: '1', name: 'acme' });
    const message = telemetry.service('proofpoint_on_demand', '7', 'message');
    message.state = 'running';
    message.connected = true;
    message.counters.received = 12_345;
    message.counters.sent = 12_000;
    message.delivered(Date.now() - 45_000);
    const alerts = telemetry.service('proofpoint_casb', '3', 'alerts');
    alerts.state = 'backoff';
    alerts.lastError = { code: 'CASB_SETUP', message: 'check inputs.proofpoint_casb.credentials', at: Date.UTC(2024, 0, 1) };
    endpoint = await HttpEndpoint.start({ telemetry });
    return telemetry;
  }

  it('prints the readiness, the output and one row per service, then the last problems', async () => {
    await serve();
    const lines: string[] = [];
    const code = await statusCommand(['--url', endpoint!.url], { out: (l) => lines.push(l), stopSignal: new Promise(() => undefined) });
    expect(code).to.equal(0);
    expect(lines[0]).to.match(/^acme \(1\) at http:\/\/127\.0\.0\.1:\d+: NOT READY \(service: casb\/alerts is backoff\); started /);
    const header = lines.findIndex((l) => l.startsWith('SERVICE'));
    expect(lines[header]).to.match(/^SERVICE\s+STATE\s+SOURCE\s+LAG\s+RECEIVED\s+DUPLICATES\s+DEAD\s+SENT\s+HELD\s+PAUSED\s+LAST COMMIT$/);
    expect(lines[header + 1]).to.match(/^pod\/message\s+running\s+up\s+45 s\s+12,345\s+0\s+0\s+12,000\s+0\s+0 s\s+-$/);
    expect(lines[header + 2]).to.match(/^casb\/alerts\s+backoff\s+down\s+-\s+0/);
    expect(lines.slice(-1)[0]).to.equal('  casb/alerts 2024-01-01T00:00:00.000Z CASB_SETUP: check inputs.proofpoint_casb.credentials');
  });

  it("names the output's failure with its code, and lists the output's last problem with the services'", async () => {
    const telemetry = await serve();
    // A port nobody listens on: every connection to the relay is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const pki = await sharedPki();
    const sender = new DevoSender({
      host: '127.0.0.1',
      port,
      ca: pki.ca.cert,
      cert: pki.client.cert,
      key: pki.client.key,
      telemetry: telemetry.sender,
      backoffInitialMs: 50,
      backoffMaxMs: 100,
    });
    try {
      sender.open();
      await waitFor(() => telemetry.sender.lastError !== undefined, 'the refused connection, reported');
      const lines: string[] = [];
      await statusCommand(['--url', endpoint!.url], { out: (l) => lines.push(l), stopSignal: new Promise(() => undefined) });
      expect(lines[1]).to.match(/^Devo: FAILING since \S+Z \(DEVO_CONNECT_FAILED\); /);
      const problems = lines.slice(lines.indexOf('Last problems:') + 1);
      expect(problems[0]).to.match(new RegExp(`^  output \\S+Z DEVO_CONNECT_FAILED: .*127\\.0\\.0\\.1:${port}`));
      expect(problems[1]).to.match(/^ {2}casb\/alerts .* CASB_SETUP: /);
    } finally {
      await sender.close(100);
    }
  });

  it("with several outputs, prints a row per output and names each output's last problem", async () => {
    const telemetry = await serve();
    const devo = telemetry.output('devo_1');
    const relay = telemetry.output('relay_1');
    devo.opened();
    devo.written(1, 100, 12_000);
    relay.failed();
    relay.queuedLines = () => 1200;
    relay.unconfirmedBytes = () => 4096;
    relay.problem('DEVO_CONNECT_FAILED', 'Cannot connect to outputs.relay_1.config.address (127.0.0.1:13000)');
    const lines: string[] = [];
    await statusCommand(['--url', endpoint!.url], { out: (l) => lines.push(l), stopSignal: new Promise(() => undefined) });
    const header = lines.findIndex((l) => l.startsWith('OUTPUT'));
    expect(lines[header]).to.match(/^OUTPUT\s+CONNECTION\s+WRITTEN\s+QUEUED\s+UNCONFIRMED BYTES\s+FAILING SINCE$/);
    expect(lines[header + 1]).to.match(/^devo_1\s+connected\s+12,000\s+0\s+0\s+-$/);
    expect(lines[header + 2]).to.match(/^relay_1\s+FAILING \(DEVO_CONNECT_FAILED\)\s+0\s+1,200\s+4,096\s+\S+Z$/);
    const problems = lines.slice(lines.indexOf('Last problems:') + 1);
    expect(problems[0]).to.match(/^ {2}output relay_1 \S+Z DEVO_CONNECT_FAILED: Cannot connect to outputs\.relay_1/);
  });

  it('exits 1 with a hint when the collector cannot be reached', async () => {
    const lines: string[] = [];
    const code = await statusCommand(['--url', 'http://127.0.0.1:1'], { out: (l) => lines.push(l), stopSignal: new Promise(() => undefined) });
    expect(code).to.equal(1);
    expect(lines.join('\n')).to.match(/Cannot reach http:\/\/127\.0\.0\.1:1\/status: .*globals\.http_server or --http/);
  });

  it('--watch refreshes until interrupted', async () => {
    const telemetry = await serve();
    const lines: string[] = [];
    let stop!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stop = resolve));
    const running = statusCommand(['--url', endpoint!.url, '--watch', '--interval', '0.1'], { out: (l) => lines.push(l), stopSignal });
    await new Promise((resolve) => setTimeout(resolve, 150));
    telemetry.services[0]!.counters.sent = 13_000;
    await new Promise((resolve) => setTimeout(resolve, 250));
    stop();
    expect(await running).to.equal(0);
    expect(lines.some((l) => /^pod\/message .* 12,000 /.test(l))).to.equal(true);
    expect(lines.some((l) => /^pod\/message .* 13,000 /.test(l))).to.equal(true);
  });

  it('--watch into a pipe or a file (not a terminal) prints a plain table per refresh, without clear-screen codes', async () => {
    await serve();
    const status = new CollectorProcess(['status', '--url', endpoint!.url, '--watch', '--interval', '0.1'], { cwd: process.cwd() });
    try {
      await waitFor(() => (status.stdout.match(/^SERVICE /gm) ?? []).length >= 2, 'two refreshes', 8000);
      status.kill('SIGTERM');
      expect((await status.exited).code).to.equal(0);
    } finally {
      await status.dispose();
    }
    expect(status.stdout).not.to.include('\u001b');
    // Each refresh starts with the time it was taken, after a blank line between two.
    const refreshes = status.stdout.split(/\n\n(?==== )/);
    expect(refreshes.length).to.be.at.least(2);
    for (const refresh of refreshes) expect(refresh).to.match(/^=== \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ===\nacme \(1\) at /);
  });

  it('--watch on a terminal clears the screen before each refresh', async () => {
    await serve();
    const lines: string[] = [];
    let stop!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stop = resolve));
    const running = statusCommand(['--url', endpoint!.url, '--watch', '--interval', '60'], { out: (l) => lines.push(l), stopSignal, terminal: true });
    await waitFor(() => lines.some((l) => l.startsWith('SERVICE')), 'one refresh');
    stop();
    expect(await running).to.equal(0);
    expect(lines[0]).to.equal('\u001b[2J\u001b[H');
  });
});
