import { expect } from 'chai';
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { issueCertificate, type ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { writeCertFiles } from '../helpers/certFiles';
import { fixtureCasb, fixturePod, lineKey, SECRET_ENV, SECRETS, writeCollectorConfig } from '../helpers/collectorFixture';
import { CollectorProcess } from '../helpers/collectorProcess';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { sleep, waitFor } from '../helpers/waitFor';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out;
}

describe('security', function () {
  this.timeout(90_000);
  let pki: ThrowawayPki;

  before(async () => {
    pki = await sharedPki();
  });

  it('no secret in any log line, error, statistics or state/dead-letter file of a full run; files 0600, directory 0700', async () => {
    const { dir, remove } = await tempDir();
    const timeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1000 };
    const pod = await fixturePod({ rate: 400, total: 800, malformedEvery: 100, dropEveryFrames: 500 });
    // Tokens that expire and a few 429s/5xx: the client's error paths log too.
    const casb = await fixtureCasb({
      mode: 'backlog',
      alerts: { timeline, total: 200 },
      events: { timeline, total: 200 },
      tokenTtlSeconds: 1,
      rateLimitEvery: 5,
      failEvery: 7,
    });
    const relay = await RelayLog.start(pki, lineKey);
    let collector: CollectorProcess | undefined;
    try {
      await writeCertFiles(path.join(dir, 'certs'), pki);
      await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url, casbUrl: casb.url });
      collector = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: { ...SECRET_ENV } });
      await waitFor(() => relay.unique >= 1600, 'the PoD events', 60_000);
      await sleep(3000);
      collector.kill('SIGTERM');
      expect((await collector.exited).code).to.equal(0);
      // The run went through its error paths.
      expect(collector.stdout)
        .to.match(/Dead-lettered/)
        .and.match(/Statistics/)
        .and.match(/429 Too Many Requests|HTTP 50\d/);
      const outputs: Array<[string, string]> = [
        ['stdout', collector.stdout],
        ['stderr', collector.stderr],
      ];
      const stateDir = path.join(dir, 'state');
      expect((await stat(stateDir)).mode & 0o777).to.equal(0o700);
      for (const file of await filesUnder(stateDir)) {
        outputs.push([file, await readFile(file, 'utf8')]);
        expect((await stat(file)).mode & 0o777, file).to.equal(0o600);
      }
      expect(outputs.some(([name]) => name.endsWith('.deadletter.jsonl'))).to.equal(true);
      for (const [name, text] of outputs) {
        for (const secret of Object.values(SECRETS)) expect(text.includes(secret), `${secret} in ${name}`).to.equal(false);
      }
    } finally {
      await collector?.dispose();
      await pod.stop();
      await casb.stop();
      await relay.stop();
      await remove();
    }
  });

  it('turns server verification off only when told to, and then warns at every start', async () => {
    const { dir, remove } = await tempDir();
    // A relay whose certificate does not match the address.
    const wrongName = await issueCertificate(pki.ca, { commonName: 'elsewhere.example', hosts: ['elsewhere.example'], usage: 'server' });
    const relay = await RelayLog.start({ ...pki, server: wrongName }, lineKey);
    const pod = await fixturePod({ rate: 200, total: 100 });
    const run = async (insecure: boolean): Promise<CollectorProcess> => {
      await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url, extraOutput: insecure ? ', insecure_skip_server_verification: true' : '' });
      return new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: SECRET_ENV });
    };
    try {
      await writeCertFiles(path.join(dir, 'certs'), pki);
      const verified = await run(false);
      await waitFor(() => verified.stdout.includes('DEVO_TLS_HOSTNAME_MISMATCH'), 'the refusal', 20_000);
      verified.kill('SIGKILL');
      await verified.exited;
      expect(relay.lines).to.have.length(0);

      const insecure = await run(true);
      await waitFor(() => relay.unique >= 200, 'delivery without verification', 30_000);
      insecure.kill('SIGTERM');
      await insecure.exited;
      expect(insecure.stdout).to.match(/WARNING .*insecure_skip_server_verification is true: the Devo relay's identity is NOT verified/);
    } finally {
      await pod.stop();
      await relay.stop();
      await remove();
    }
  });

  it('warns at every start that ws:// and http:// base URLs send the PoD token and CASB secrets in clear (loopback exempt)', async () => {
    const { dir, remove } = await tempDir();
    const relay = await RelayLog.start(pki, lineKey);
    const runs: CollectorProcess[] = [];
    // Hosts that never resolve (RFC 6761): the warning is given at start, before any connection.
    const run = async (podUrl: string, casbUrl: string): Promise<CollectorProcess> => {
      await writeCollectorConfig(dir, { relayPort: relay.port, podUrl, casbUrl });
      const p = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: SECRET_ENV });
      runs.push(p);
      await waitFor(() => p.stdout.includes(' started with '), 'the start', 20_000);
      p.kill('SIGTERM');
      await p.exited;
      return p;
    };
    const cleartext =
      /WARNING .*inputs\.proofpoint_on_demand\.services\.message\.override_url_base .*is ws:\/\/pod\.example\.invalid:9, not wss:\/\/: the PoD api_token and every event cross the network in clear text/;
    const casbCleartext = /WARNING .*inputs\.proofpoint_casb\.override_url_base is http:\/\/casb\.example\.invalid:9, not https:\/\//;
    try {
      await writeCertFiles(path.join(dir, 'certs'), pki);
      for (let start = 0; start < 2; start++) {
        const p = await run('ws://pod.example.invalid:9', 'http://casb.example.invalid:9');
        expect(p.stdout, `start ${start + 1}`)
          .to.match(cleartext)
          .and.match(casbCleartext);
        for (const secret of Object.values(SECRETS)) expect(p.stdout.includes(secret), secret).to.equal(false);
      }
      const loopback = await run('ws://127.0.0.1:9', 'http://localhost:9');
      expect(loopback.stdout).not.to.match(/clear text/);
    } finally {
      for (const p of runs) await p.dispose();
      await relay.stop();
      await remove();
    }
  });

  it('the container runs as a non-root user, with production dependencies only', async () => {
    const dockerfile = await readFile(path.join(__dirname, '..', '..', '..', 'Dockerfile'), 'utf8');
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(finalStage).to.match(/^USER node$/m);
    expect(finalStage).not.to.match(/^USER (root|0)\b/m);
    expect(finalStage).to.match(/npm ci --omit=dev/);
    expect(finalStage.indexOf('USER node')).to.be.lessThan(finalStage.indexOf('ENTRYPOINT'));
  });
});
