import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmod, lstat, mkdir, readdir, readFile, rename, stat, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { PodSimulator } from '../../lib/simulators/podSimulator';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { writeCertFiles } from '../helpers/certFiles';
import { expectedKeys, lineKey, SECRET_ENV, SECRETS, writeCollectorConfig } from '../helpers/collectorFixture';
import { CollectorProcess } from '../helpers/collectorProcess';
import { sharedPki } from '../helpers/pki';
import { RelayLog } from '../helpers/relayLog';
import { tempDir } from '../helpers/tempDir';
import { sleep, waitFor } from '../helpers/waitFor';

const CLI = path.join(__dirname, '..', '..', 'lib', 'cli', 'main.js');

describe('reliability: state trouble', function () {
  this.timeout(90_000);
  let pki: ThrowawayPki;
  let dir: string;
  let remove: () => Promise<void>;
  let pod: PodSimulator;
  let relay: RelayLog;
  const processes: CollectorProcess[] = [];

  before(async () => {
    pki = await sharedPki();
  });
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    await writeCertFiles(path.join(dir, 'certs'), pki);
    pod = await PodSimulator.start({ token: SECRETS.podToken, clusterId: 'acme', types: ['message', 'maillog'], rate: 500, total: 1500 });
    relay = await RelayLog.start(pki, lineKey);
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.dispose();
    await pod.stop();
    await relay.stop();
    await remove();
  });

  function start(env: Record<string, string> = {}): CollectorProcess {
    const p = new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: { ...SECRET_ENV, ...env } });
    processes.push(p);
    return p;
  }

  async function runToTheEnd(collector: CollectorProcess): Promise<void> {
    await waitFor(() => relay.unique >= 3000, 'every event', 60_000);
    collector.kill('SIGTERM');
    expect((await collector.exited).code).to.equal(0);
    expect(new Set(relay.counts.keys())).to.deep.equal(expectedKeys(1500, 0));
  }

  it('keeps delivering when the state directory stops being writable after the start, and says so (retried, not fatal)', async () => {
    await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url });
    const collector = start();
    await waitFor(() => relay.unique >= 300, 'the first events', 30_000);
    // The directory goes away and a file takes its name: every later state write fails.
    await rename(path.join(dir, 'state'), path.join(dir, 'state-moved'));
    await writeFile(path.join(dir, 'state'), 'a file');
    await runToTheEnd(collector);
    expect(collector.stdout).to.match(/ERROR .*STATE_WRITE_FAILED: .*proofpoint_on_demand-7-message\./);
    expect(collector.stdout).not.to.match(/STATE_DIRECTORY_UNWRITABLE/);
    expect(collector.stderr).to.equal('');
  });

  it('refuses to start when the state directory cannot be written, rather than deliver what it cannot commit', async () => {
    await writeFile(path.join(dir, 'not-a-directory'), 'a file');
    await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url, stateDirectory: 'not-a-directory/state' });
    const collector = start();
    expect((await collector.exited).code).to.equal(1);
    expect(collector.stderr).to.match(/^STATE_DIRECTORY_UNWRITABLE: The state directory .*not-a-directory\/state \(globals\.persistence\.config\.directory_name\) is not writable: cannot create it: ENOTDIR/);
    expect(relay.unique).to.equal(0);
  });

  it('survives a full disk (file size limit): no crash, no torn state file, clear errors', async () => {
    await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url });
    // RLIMIT_FSIZE: every write past 16 KiB fails with EFBIG, as on a full disk.
    const child = spawn('bash', ['-c', `ulimit -f 16 && exec "${process.execPath}" "${CLI}" run --config config.yaml`], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', ...SECRET_ENV },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => relay.unique >= 3000, 'every event', 60_000);
      await sleep(2500);
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(stdout).to.match(/STATE_WRITE_FAILED: Cannot append to the de-dup journal .*EFBIG/);
    // Whatever state files exist are whole (atomic writes): each parses.
    const files = await readdir(path.join(dir, 'state'));
    for (const file of files.filter((f) => f.endsWith('.json'))) {
      expect(() => JSON.parse(require('node:fs').readFileSync(path.join(dir, 'state', file), 'utf8') as string), file).not.to.throw();
    }
    expect(files.filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('moves a corrupt state file aside, starts from the config, and reports it', async () => {
    await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url });
    await mkdir(path.join(dir, 'state'));
    await writeFile(path.join(dir, 'state', 'proofpoint_on_demand-7-message.json'), '{"version":2,"state":{"lastEven');
    const collector = start();
    await runToTheEnd(collector);
    expect(collector.stdout).to.match(/ERROR .*STATE_UNREADABLE: .*proofpoint_on_demand-7-message\.json is not valid JSON .*corrupt or truncated; it was moved aside to .*\.corrupt-/);
    const files = await readdir(path.join(dir, 'state'));
    expect(files.some((f) => f.startsWith('proofpoint_on_demand-7-message.json.corrupt-'))).to.equal(true);
    const state = JSON.parse(await readFile(path.join(dir, 'state', 'proofpoint_on_demand-7-message.json'), 'utf8')) as { version: number; state: { cleanStop: boolean } };
    expect(state.version).to.equal(2);
    expect(state.state.cleanStop).to.equal(true);
  });

  it('upgrades a state file of an older version', async () => {
    await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url });
    await mkdir(path.join(dir, 'state'));
    const stoppedAt = new Date(Date.now() - 5 * 60_000).toISOString();
    await writeFile(
      path.join(dir, 'state', 'proofpoint_on_demand-7-message.json'),
      JSON.stringify({ version: 1, state: { last_event_time: null, clean_stop: true, stopped_at: stoppedAt } }),
    );
    const collector = start();
    await runToTheEnd(collector);
    expect(collector.stdout).to.match(/INFO .*Upgraded .*proofpoint_on_demand-7-message\.json from state version 1 to 2/);
    expect(collector.stdout).not.to.match(/STATE_UNREADABLE/);
  });
  it('tightens a state directory open to others, refuses a de-dup journal that is a symbolic link (its target untouched), and keeps delivering', async () => {
    const { dir: elsewhere, remove: removeElsewhere } = await tempDir();
    try {
      await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url });
      const state = path.join(dir, 'state');
      await mkdir(state);
      await chmod(state, 0o777);
      const victim = path.join(elsewhere, 'victim.txt');
      await writeFile(victim, 'do not touch\n');
      const link = path.join(state, 'proofpoint_on_demand-7-message.dedup.jsonl');
      await symlink(victim, link);
      const collector = start();
      await runToTheEnd(collector);
      expect((await stat(state)).mode & 0o777).to.equal(0o700);
      expect(await readFile(victim, 'utf8')).to.equal('do not touch\n');
      expect((await lstat(link)).isSymbolicLink()).to.equal(true);
      expect(collector.stdout).to.match(/WARNING .*The state directory .*state \(globals\.persistence\.config\.directory_name\) had mode 0777, open to other users: tightened to 0700/);
      expect(collector.stdout).to.match(/ERROR .*STATE_UNREADABLE: Cannot read the de-dup journal .*message\.dedup\.jsonl: .*is a symbolic link: the collector never follows one/);
      expect(collector.stdout).to.match(/ERROR .*STATE_WRITE_FAILED: Cannot append to the de-dup journal .*message\.dedup\.jsonl: .*is a symbolic link/);
      // The other service's journal is a file of its own, 0600.
      expect((await stat(path.join(state, 'proofpoint_on_demand-7-maillog.dedup.jsonl'))).mode & 0o777).to.equal(0o600);
    } finally {
      await removeElsewhere();
    }
  });
});
