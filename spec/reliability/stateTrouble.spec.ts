import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { committedKeys, expectedKeys, fixturePod, SECRET_ENV, writeCollectorConfig } from '../helpers/collectorFixture';
import { CollectorProcess } from '../helpers/collectorProcess';
import { collectorRig } from '../helpers/collectorRig';
import { sleep, waitFor } from '../helpers/waitFor';

const CLI = path.join(__dirname, '..', '..', 'lib', 'cli', 'main.js');

describe('reliability: state trouble', function () {
  this.timeout(90_000);
  const rig = collectorRig({ rate: 500, total: 1500 });

  async function runToTheEnd(collector: CollectorProcess): Promise<void> {
    await waitFor(() => rig.relay.unique >= 3000, 'every event', 60_000);
    collector.kill('SIGTERM');
    expect((await collector.exited).code).to.equal(0);
    expect(new Set(rig.relay.counts.keys())).to.deep.equal(expectedKeys(1500, 0));
  }

  it('keeps delivering when the state directory stops being writable after the start, and says so (retried, not fatal)', async () => {
    await writeCollectorConfig(rig.dir, { relayPort: rig.relay.port, podUrl: rig.pod.url });
    const collector = rig.start();
    await waitFor(() => rig.relay.unique >= 300, 'the first events', 30_000);
    // The directory goes away and a file takes its name: every later state write fails.
    await rename(path.join(rig.dir, 'state'), path.join(rig.dir, 'state-moved'));
    await writeFile(path.join(rig.dir, 'state'), 'a file');
    await runToTheEnd(collector);
    expect(collector.stdout).to.match(/ERROR .*STATE_WRITE_FAILED: .*proofpoint_on_demand-7-message\./);
    expect(collector.stdout).not.to.match(/STATE_DIRECTORY_UNWRITABLE/);
    expect(collector.stderr).to.equal('');
  });

  it('while state writes fail: backs off instead of retrying every commit, carries nothing, and rebuilds the journal once the disk is back', async () => {
    // A steady stream that the relay confirms by volume every second or so: a commit every 250 ms.
    const total = 30_000;
    const flood = await fixturePod({ rate: 4000, total, duplicateRate: 0 });
    try {
      await writeCollectorConfig(rig.dir, { relayPort: rig.relay.port, podUrl: flood.url });
      const collector = rig.start({ args: ['--http', '127.0.0.1:0'] });
      await waitFor(() => rig.relay.unique >= 5000, 'the first events', 30_000);
      const url = /Serving \/metrics, \/health, \/ready and \/status at (http:\/\/[\d.:]+)/.exec(collector.stdout)![1]!;
      const failures = async () => {
        const status = (await (await fetch(`${url}/status`)).json()) as { services: Array<{ name: string; commitFailures: number }> };
        return Math.max(...status.services.map((s) => s.commitFailures));
      };
      // Every write fails for 3.5 s after the first failure: a commit every 250 ms would try 14 times; the backoff, at 0, 1 and 3 s.
      await rename(path.join(rig.dir, 'state'), path.join(rig.dir, 'state-moved'));
      await writeFile(path.join(rig.dir, 'state'), 'a file');
      for (const deadline = Date.now() + 15_000; (await failures()) === 0; await sleep(100)) {
        if (Date.now() > deadline) throw new Error('no state write failed within 15 s');
      }
      await sleep(3500);
      const tried = await failures();
      expect(tried, 'write attempts in 3.5 s of failures, per service').to.be.within(1, 4);
      expect((await fetch(`${url}/ready`)).status).to.equal(503);
      // The disk is back: the journal is rebuilt from the window, with what was delivered meanwhile.
      await unlink(path.join(rig.dir, 'state'));
      await rename(path.join(rig.dir, 'state-moved'), path.join(rig.dir, 'state'));
      await waitFor(() => rig.relay.unique >= 2 * total, 'every event', 60_000);
      // Once the relay confirmed the last batches and the backoff (the next try 4 s after the last) is over.
      const missing = async () => {
        const journal = await committedKeys(path.join(rig.dir, 'state'));
        return { journal, missing: [...rig.relay.counts.keys()].filter((k) => !journal.has(k)).length };
      };
      let seen = await missing();
      for (const deadline = Date.now() + 30_000; seen.missing > 0 && Date.now() < deadline; await sleep(500)) seen = await missing();
      expect(seen.missing, 'delivered keys missing from the journals').to.equal(0);
      const committed = seen.journal;
      collector.kill('SIGTERM');
      expect((await collector.exited).code).to.equal(0);
      console.log(
        `      state writes failing for 3.5 s: ${tried} write attempt(s) per service (a commit every 250 ms: 14); journals rebuilt with all ${committed.size} delivered keys`,
      );
    } finally {
      await flood.stop();
    }
  });

  it('refuses to start when the state directory cannot be written, rather than deliver what it cannot commit', async () => {
    await writeFile(path.join(rig.dir, 'not-a-directory'), 'a file');
    await writeCollectorConfig(rig.dir, { relayPort: rig.relay.port, podUrl: rig.pod.url, stateDirectory: 'not-a-directory/state' });
    const collector = rig.start();
    expect((await collector.exited).code).to.equal(1);
    expect(collector.stderr).to.match(
      /^STATE_DIRECTORY_UNWRITABLE: The state directory .*not-a-directory\/state \(globals\.persistence\.config\.directory_name\) is not writable: cannot create it: ENOTDIR/,
    );
    expect(rig.relay.unique).to.equal(0);
  });

  it('survives a full disk (file size limit): no crash, no torn state file, clear errors', async () => {
    await writeCollectorConfig(rig.dir, { relayPort: rig.relay.port, podUrl: rig.pod.url });
    // RLIMIT_FSIZE: every write past 16 KiB fails with EFBIG, as on a full disk.
    const child = spawn('bash', ['-c', `ulimit -f 16 && exec "${process.execPath}" "${CLI}" run --config config.yaml`], {
      cwd: rig.dir,
      env: { PATH: process.env['PATH'] ?? '', ...SECRET_ENV },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => rig.relay.unique >= 3000, 'every event', 60_000);
      await sleep(2500);
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(stdout).to.match(/STATE_WRITE_FAILED: Cannot append to the de-dup journal .*EFBIG/);
    // Whatever state files exist are whole (atomic writes): each parses.
    const files = await readdir(path.join(rig.dir, 'state'));
    for (const file of files.filter((f) => f.endsWith('.json'))) {
      expect(() => JSON.parse(readFileSync(path.join(rig.dir, 'state', file), 'utf8')), file).not.to.throw();
    }
    expect(files.filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('moves a corrupt state file aside, starts from the config, and reports it', async () => {
    await writeCollectorConfig(rig.dir, { relayPort: rig.relay.port, podUrl: rig.pod.url });
    await mkdir(path.join(rig.dir, 'state'));
    await writeFile(path.join(rig.dir, 'state', 'proofpoint_on_demand-7-message.json'), '{"version":2,"state":{"lastEven');
    const collector = rig.start();
    await runToTheEnd(collector);
    expect(collector.stdout).to.match(
      /ERROR .*STATE_UNREADABLE: .*proofpoint_on_demand-7-message\.json is not valid JSON .*corrupt or truncated; it was moved aside to .*\.corrupt-/,
    );
    const files = await readdir(path.join(rig.dir, 'state'));
    expect(files.some((f) => f.startsWith('proofpoint_on_demand-7-message.json.corrupt-'))).to.equal(true);
    const state = JSON.parse(await readFile(path.join(rig.dir, 'state', 'proofpoint_on_demand-7-message.json'), 'utf8')) as {
      version: number;
      state: { cleanStop: boolean };
    };
    expect(state.version).to.equal(3);
    expect(state.state.cleanStop).to.equal(true);
  });

  it('upgrades a state file of an older version', async () => {
    await writeCollectorConfig(rig.dir, { relayPort: rig.relay.port, podUrl: rig.pod.url });
    await mkdir(path.join(rig.dir, 'state'));
    const stoppedAt = new Date(Date.now() - 5 * 60_000).toISOString();
    await writeFile(
      path.join(rig.dir, 'state', 'proofpoint_on_demand-7-message.json'),
      JSON.stringify({ version: 1, state: { last_event_time: null, clean_stop: true, stopped_at: stoppedAt } }),
    );
    const collector = rig.start();
    await runToTheEnd(collector);
    expect(collector.stdout).to.match(/INFO .*Upgraded .*proofpoint_on_demand-7-message\.json from state version 1 to 2/);
    expect(collector.stdout).not.to.match(/STATE_UNREADABLE/);
  });
  it('tightens a state directory open to others and keeps delivering (a link in it is refused at start: stateOwnership.spec)', async () => {
    await writeCollectorConfig(rig.dir, { relayPort: rig.relay.port, podUrl: rig.pod.url });
    const state = path.join(rig.dir, 'state');
    await mkdir(state);
    await chmod(state, 0o777);
    const collector = rig.start();
    await runToTheEnd(collector);
    expect((await stat(state)).mode & 0o777).to.equal(0o700);
    expect(collector.stdout).to.match(
      /WARNING .*The state directory .*state \(globals\.persistence\.config\.directory_name\) had mode 0777, open to other users: tightened to 0700/,
    );
    // Every state file is the collector's alone, 0600.
    for (const name of (await readdir(state)).filter((n) => !n.startsWith('.')))
      expect((await stat(path.join(state, name))).mode & 0o777, name).to.equal(0o600);
  });
});
