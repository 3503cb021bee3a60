import { expect } from 'chai';
import { chmod, chown, lstat, mkdir, readdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { writeCertFiles } from '../helpers/certFiles';
import { expectedKeys, fixtureCasb, SECRET_ENV, writeCollectorConfig } from '../helpers/collectorFixture';
import { CONTAINER_UID, otherUserFixture, runAs } from '../helpers/otherUser';
import { collectorRig } from '../helpers/collectorRig';
import { tempDir } from '../helpers/tempDir';
import { waitFor } from '../helpers/waitFor';

describe('reliability: who owns the state directory', function () {
  this.timeout(90_000);
  const rig = collectorRig({ rate: 500, total: 1500 });

  it('refuses a second collector on the same state directory, naming the holder; takes over at once from one that was SIGKILLed', async () => {
    const timeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1000 };
    const casb = await fixtureCasb({ mode: 'backlog', alerts: { timeline, total: 500 }, events: { timeline, total: 500 } });
    try {
      await writeCollectorConfig(rig.dir, { relayPort: rig.relay.port, podUrl: rig.pod.url, casbUrl: casb.url });
      const first = rig.start();
      await waitFor(() => rig.relay.unique >= 300, 'the first events', 30_000);
      const second = rig.start();
      expect((await second.exited).code).to.equal(1);
      expect(second.stderr).to.match(
        new RegExp(
          `^STATE_DIRECTORY_LOCKED: The state directory .*/state \\(globals\\.persistence\\.config\\.directory_name\\) is in use by another collector: pid ${first.pid} on host ${hostname().replace(/[.]/g, '\\.')}, since \\d{4}-\\d\\d-\\d\\dT`,
        ),
      );
      expect(second.stdout).not.to.match(/Pull Started|Connected to the PoD/);
      // The holder dies without a word: the next one does not wait for the lock to go stale.
      first.kill('SIGKILL');
      await first.exited;
      const third = rig.start();
      await waitFor(() => third.stdout.includes('started with'), 'the third collector', 10_000);
      const expected = expectedKeys(1500, 500, timeline);
      await waitFor(() => rig.relay.unique >= expected.size, 'every event', 60_000);
      third.kill('SIGTERM');
      expect((await third.exited).code).to.equal(0);
      expect(new Set(rig.relay.counts.keys())).to.deep.equal(expected);
      // A clean stop leaves no lock behind.
      expect(await readdir(path.join(rig.dir, 'state'))).not.to.include('.lock');
    } finally {
      await casb.stop();
    }
  });

  it('refuses to start on a state file it cannot use (a symbolic link), naming it, instead of starting that service from its config', async () => {
    const { dir: elsewhere, remove: removeElsewhere } = await tempDir();
    try {
      await writeCollectorConfig(rig.dir, { relayPort: rig.relay.port, podUrl: rig.pod.url });
      const state = path.join(rig.dir, 'state');
      await mkdir(state, { mode: 0o700 });
      const victim = path.join(elsewhere, 'victim.txt');
      await writeFile(victim, 'do not touch\n');
      const link = path.join(state, 'proofpoint_on_demand-7-message.dedup.jsonl');
      await symlink(victim, link);
      const refused = rig.start();
      expect((await refused.exited).code).to.equal(1);
      expect(refused.stderr).to.match(
        /^STATE_UNREADABLE: The state file .*proofpoint_on_demand-7-message\.dedup\.jsonl cannot be used: it is a symbolic link, which the collector never follows in the state directory\. Remove or replace what is named/,
      );
      expect(rig.relay.unique).to.equal(0);
      expect(await readFile(victim, 'utf8')).to.equal('do not touch\n');
      expect((await lstat(link)).isSymbolicLink()).to.equal(true);
      await unlink(link);
      const collector = rig.start();
      await waitFor(() => rig.relay.unique >= 3000, 'every event', 60_000);
      collector.kill('SIGTERM');
      expect((await collector.exited).code).to.equal(0);
      expect(new Set(rig.relay.counts.keys())).to.deep.equal(expectedKeys(1500, 0));
    } finally {
      await removeElsewhere();
    }
  });

  it("as the container's user after a native run as root, refuses the root-owned state files with the recursive chown; after it, resumes without a duplicate", async function () {
    if (process.geteuid?.() !== 0) this.skip(); // only root can run a process as another user
    const other = await otherUserFixture();
    const { dir: home, remove: removeHome } = await other.tempDir();
    try {
      await writeCertFiles(path.join(home, 'certs'), rig.pki);
      await writeCollectorConfig(home, { relayPort: rig.relay.port, podUrl: rig.pod.url });
      // A native run as root first: its state files are root's, 0600.
      const native = rig.start({ cwd: home });
      await waitFor(() => rig.relay.unique >= 1000, 'events of the native run', 30_000);
      native.kill('SIGTERM');
      expect((await native.exited).code).to.equal(0);
      const delivered = rig.relay.unique;
      // Then the container, after a chown of the directory alone (not -R, unlike docs/running.md).
      const state = path.join(home, 'state');
      await chown(path.join(home, 'certs', 'client.key'), CONTAINER_UID, CONTAINER_UID);
      await chown(state, CONTAINER_UID, CONTAINER_UID);
      await chmod(state, 0o700);
      const refused = await runAs(CONTAINER_UID, other.node, [other.cli, 'run', '--config', 'config.yaml'], home, SECRET_ENV);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.match(
        /^STATE_UNREADABLE: The state file .*\/state\/proofpoint_on_demand-7-[\w.]+ cannot be used: cannot open it for reading and writing \(EACCES/,
      );
      expect(refused.stderr).to.include(`The collector runs as uid 1000: run \`chown -R 1000:1000 ${state}\``);
      expect(rig.relay.unique).to.equal(delivered);
      // After the recursive chown it resumes where the native run stopped: nothing twice.
      for (const name of await readdir(state)) await chown(path.join(state, name), CONTAINER_UID, CONTAINER_UID).catch(() => undefined);
      const { spawn } = await import('node:child_process');
      const container = spawn(other.node, [other.cli, 'run', '--config', 'config.yaml'], {
        cwd: home,
        uid: CONTAINER_UID,
        gid: CONTAINER_UID,
        env: { PATH: process.env['PATH'] ?? '', ...SECRET_ENV },
      });
      try {
        await waitFor(() => rig.relay.unique >= 3000, 'every event', 60_000);
      } finally {
        container.kill('SIGTERM');
        await new Promise((resolve) => container.once('exit', resolve));
      }
      expect(new Set(rig.relay.counts.keys())).to.deep.equal(expectedKeys(1500, 0));
      expect(rig.relay.duplicates).to.equal(0);
    } finally {
      await removeHome();
    }
  });
});
