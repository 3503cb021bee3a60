import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { gzipSync } from 'node:zlib';
import { PodSimulator } from '../../lib/simulators/podSimulator';
import { fixturePod, SECRET_ENV, writeCollectorConfig } from '../helpers/collectorFixture';
import { CollectorProcess } from '../helpers/collectorProcess';
import { sharedPki } from '../helpers/pki';
import { runCli } from '../helpers/runCli';
import { tempDir } from '../helpers/tempDir';
import { waitFor } from '../helpers/waitFor';

const PKI_FILES = ['chain.crt', 'client.crt', 'client.key', 'server.crt', 'server.key'];

describe('CLI simulate (the stand-ins as test tools)', function () {
  this.timeout(60_000);
  let dir: string;
  let remove: () => Promise<void>;
  const processes: CollectorProcess[] = [];
  let pod: PodSimulator | undefined;

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.dispose();
    await pod?.stop();
    pod = undefined;
    await remove();
  });

  function start(args: string[]): CollectorProcess {
    const p = new CollectorProcess(args, { cwd: dir, env: SECRET_ENV });
    processes.push(p);
    return p;
  }

  async function receiverPort(p: CollectorProcess): Promise<number> {
    await waitFor(() => /Devo receiver on [\d.]+:\d+/.test(p.stdout) || p.stderr !== '', 'the receiver to listen', 20_000);
    expect(p.stderr).to.equal('');
    return Number(/Devo receiver on [\d.]+:(\d+)/.exec(p.stdout)![1]);
  }

  it('simulate pod|casb|devo --help prints the usage of that simulator and exits 0', async () => {
    for (const kind of ['pod', 'casb', 'devo']) {
      const { code, stdout, stderr } = await runCli(['simulate', kind, '--help'], { cwd: dir });
      expect(stderr, kind).to.equal('');
      expect(code, kind).to.equal(0);
      expect(stdout, kind).to.match(new RegExp(`^  proofpoint-devo-collector simulate ${kind} \\[--port N\\]`));
    }
    const devo = await runCli(['simulate', 'devo', '-h'], { cwd: dir });
    expect(devo.code).to.equal(0);
    expect(devo.stdout).to.include('--pki DIR').and.include('--ca FILE --cert FILE --key FILE');
  });

  it('simulate devo keeps an existing --pki (same bytes), and a collector configured with it still connects', async () => {
    const first = start(['simulate', 'devo', '--port', '0', '--pki', 'pki', '--out', 'received.log']);
    await receiverPort(first);
    expect(first.stdout).to.include(`Wrote a new throwaway PKI to ${path.join(dir, 'pki')}`);
    const before = await Promise.all(PKI_FILES.map((f) => readFile(path.join(dir, 'pki', f))));
    first.kill('SIGTERM');
    expect((await first.exited).code).to.equal(0);

    const second = start(['simulate', 'devo', '--port', '0', '--pki', 'pki', '--out', 'received.log']);
    const port = await receiverPort(second);
    expect(second.stdout).to.include(`Kept the PKI already in ${path.join(dir, 'pki')} (not overwritten)`);
    const after = await Promise.all(PKI_FILES.map((f) => readFile(path.join(dir, 'pki', f))));
    for (const [i, file] of PKI_FILES.entries()) expect(after[i]!.equals(before[i]!), file).to.equal(true);

    // A collector given the client files of the first start delivers to the second receiver.
    pod = await fixturePod({ rate: 1000, total: 5, duplicateRate: 0 });
    await writeCollectorConfig(dir, { relayPort: port, podUrl: pod.url });
    start(['run', '--config', 'config.yaml', '--certs', 'pki']);
    const received = async () => (await readFile(path.join(dir, 'received.log'), 'utf8').catch(() => '')).split('\n').filter((l) => l !== '').length;
    let lines = 0;
    await waitFor(
      () => {
        void received().then((n) => (lines = n));
        return lines >= 10;
      },
      'the 10 events at the kept receiver',
      30_000,
    );
  });

  it('simulate devo inflates a connection of gzip members (compression on) and says the bytes on the wire and inflated', async () => {
    const receiver = start(['simulate', 'devo', '--port', '0', '--pki', 'pki', '--out', 'received.log']);
    const port = await receiverPort(receiver);
    const [ca, cert, key] = await Promise.all(['chain.crt', 'client.crt', 'client.key'].map((f) => readFile(path.join(dir, 'pki', f), 'utf8')));
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca, cert, key });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const batch = (from: number) =>
      Buffer.from(
        Array.from({ length: 50 }, (_, i) => `<14>2024-01-01T00:00:00Z host my.app.tag: {"n":${from + i},"text":"the same words again and again"}\n`).join(''),
      );
    // Two flushes, two members back to back, as Devo's SDK writes them.
    socket.end(Buffer.concat([gzipSync(batch(0)), gzipSync(batch(50))]));
    let text = '';
    await waitFor(
      () => {
        void readFile(path.join(dir, 'received.log'), 'utf8').then(
          (t) => (text = t),
          () => undefined,
        );
        return text.split('\n').length > 100;
      },
      'the 100 lines at the receiver',
      10_000,
    );
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((l) => Number(/"n":(\d+)/.exec(l)![1])),
    ).to.deep.equal(Array.from({ length: 100 }, (_, i) => i));
    receiver.kill('SIGTERM');
    expect((await receiver.exited).code).to.equal(0);
    expect(receiver.stdout).to.match(/Received 100 event\(s\) on 1 connection\(s\), \d+ bytes on the wire \(gzip: \d+ bytes inflated, [\d.]+:1\)/);
  });

  it('simulate devo --plain is a plain TCP syslog relay (default port 13000) that a syslog output delivers to', async () => {
    const relay = start(['simulate', 'devo', '--plain', '--port', '0', '--out', 'received.log']);
    await waitFor(() => /Syslog relay \(plain TCP\) on [\d.]+:\d+/.test(relay.stdout) || relay.stderr !== '', 'the relay to listen', 20_000);
    expect(relay.stderr).to.equal('');
    const port = Number(/Syslog relay \(plain TCP\) on [\d.]+:(\d+)/.exec(relay.stdout)![1]);
    expect(await readFile(path.join(dir, 'pki', 'chain.crt')).catch(() => undefined), 'no PKI written').to.equal(undefined);
    pod = await fixturePod({ rate: 1000, total: 5, duplicateRate: 0 });
    await writeFile(
      path.join(dir, 'config.yaml'),
      `globals: { id: "1", name: plain }
outputs:
  relay_1: { type: in_house_relay, config: { url: 127.0.0.1, port: ${port} } }
inputs:
  proofpoint_on_demand:
    id: "7"
    credentials: { cluster_id: acme, api_token: "\${POD_TOKEN}" }
    override_url_base: ${pod.url}
    services: { message: { period_in_seconds: 1 }, maillog: { period_in_seconds: 1 } }
`,
    );
    start(['run', '--config', 'config.yaml']);
    const received = async () => (await readFile(path.join(dir, 'received.log'), 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
    let lines: string[] = [];
    await waitFor(
      () => {
        void received().then((l) => (lines = l));
        return lines.length >= 10;
      },
      'the 10 events at the plain relay',
      30_000,
    );
    expect(lines.every((l) => /^<14>\S+ \S+ mail\.proofpoint\.pod\.(message|maillog): \{/.test(l))).to.equal(true);
    relay.kill('SIGTERM');
    await relay.exited;
    expect(relay.stdout).to.match(/Received \d+ event\(s\) on \d+ connection\(s\)/);
    const usage = await runCli(['simulate', 'devo', '--plain', '--pki', 'x'], { cwd: dir });
    expect(usage.code).to.equal(2);
    expect(usage.stderr).to.include('--plain takes no certificates');
  });

  it("simulate devo --ca --cert --key runs with the user's own files and writes no PKI", async () => {
    const pki = await sharedPki();
    await writeFile(path.join(dir, 'my-ca.crt'), pki.ca.cert);
    await writeFile(path.join(dir, 'relay.crt'), pki.server.cert);
    await writeFile(path.join(dir, 'relay.key'), pki.server.key, { mode: 0o600 });
    const receiver = start(['simulate', 'devo', '--port', '0', '--ca', 'my-ca.crt', '--cert', 'relay.crt', '--key', 'relay.key', '--out', 'received.log']);
    const port = await receiverPort(receiver);
    expect(receiver.stdout).to.include(
      `Using your files: clients signed by ${path.join(dir, 'my-ca.crt')} are accepted; the receiver presents ${path.join(dir, 'relay.crt')}`,
    );
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    expect(socket.getPeerCertificate().raw.equals(Buffer.from(pki.server.cert.replace(/-----[^-]+-----|\s/g, ''), 'base64'))).to.equal(true);
    socket.end('<14>2024-01-01T00:00:00Z host tag: {"a":1}\n');
    let text = '';
    await waitFor(
      () => {
        void readFile(path.join(dir, 'received.log'), 'utf8').then(
          (t) => (text = t),
          () => undefined,
        );
        return text.includes('{"a":1}');
      },
      'the line at the receiver',
      10_000,
    );
    await readFile(path.join(dir, 'demo', 'certs', 'chain.crt')).then(
      () => expect.fail('a throwaway PKI was written'),
      (err: NodeJS.ErrnoException) => expect(err.code).to.equal('ENOENT'),
    );
    const half = await runCli(['simulate', 'devo', '--ca', 'my-ca.crt'], { cwd: dir });
    expect(half.code).to.equal(2);
    expect(half.stderr).to.include('--ca, --cert and --key go together: --cert and --key missing');
  });
});
