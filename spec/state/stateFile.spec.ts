import { expect } from 'chai';
import * as t from 'io-ts';
import { chmod, lstat, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { CollectorError } from '../../lib/errors/collectorError';
import { createLogger } from '../../lib/log/logger';
import { StateFile } from '../../lib/state/stateFile';
import { writeFileAtomic } from '../../lib/state/writeFileAtomic';
import { tempDir } from '../helpers/tempDir';

const Cursor = t.type({ last: t.number });

describe('StateFile', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let logs: string[];
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    logs = [];
  });
  afterEach(async () => {
    await chmod(dir, 0o700).catch(() => undefined);
    await remove();
  });

  const store = (version = 2, migrations = {}) =>
    new StateFile({
      file: path.join(dir, 'svc.json'),
      version,
      codec: Cursor,
      migrations,
      setting: 'globals.persistence.config.directory_name',
      logger: createLogger({ write: (l) => logs.push(l) }),
      now: () => Date.UTC(2024, 0, 1),
    });

  it('saves atomically with mode 0600 and loads back', async () => {
    const s = store();
    expect(await s.load()).to.equal(undefined);
    await s.save({ last: 42 });
    expect(await s.load()).to.deep.equal({ last: 42 });
    expect(JSON.parse(await readFile(s.file, 'utf8'))).to.deep.equal({ version: 2, state: { last: 42 } });
    expect((await stat(s.file)).mode & 0o777).to.equal(0o600);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('upgrades older versions step by step', async () => {
    await writeFile(path.join(dir, 'svc.json'), JSON.stringify({ version: 1, state: { lastSeconds: 5 } }));
    const s = store(3, {
      1: (o: unknown) => ({ lastMs: (o as { lastSeconds: number }).lastSeconds * 1000 }),
      2: (o: unknown) => ({ last: (o as { lastMs: number }).lastMs }),
    });
    expect(await s.load()).to.deep.equal({ last: 5000 });
    expect(logs.filter((l) => /Upgraded .* from state version/.test(l))).to.have.length(2);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['truncated', '{"version":2,"state":{"la', /is not valid JSON .*corrupt or truncated/],
    ['not a state file', '{"hello":1}', /not a state file of this collector/],
    ['newer version', '{"version":9,"state":{}}', /written by a newer version of the collector \(state version 9/],
    ['wrong shape', '{"version":2,"state":{"last":"x"}}', /does not hold a valid state: last: expected number, got "x"/],
    ['unknown old version', '{"version":1,"state":{}}', /cannot upgrade/],
  ];
  for (const [what, content, message] of bad) {
    it(`reports a ${what} file, moves it aside and starts from the config`, async () => {
      await writeFile(path.join(dir, 'svc.json'), content, { mode: 0o600 });
      expect(await store().load()).to.equal(undefined);
      expect(logs).to.have.length(1);
      expect(logs[0])
        .to.match(/ERROR .* STATE_UNREADABLE: /)
        .and.match(message)
        .and.match(/moved aside to .*svc\.json\.corrupt-2024-01-01T00-00-00-000Z\. Starting from the config\./);
      const files = await readdir(dir);
      expect(files).to.include('svc.json.corrupt-2024-01-01T00-00-00-000Z');
      expect(files).not.to.include('svc.json');
      expect(await readFile(path.join(dir, 'svc.json.corrupt-2024-01-01T00-00-00-000Z'), 'utf8')).to.equal(content);
    });
  }

  it('fails a save in a read-only directory with STATE_WRITE_FAILED, leaving the old file intact', async function () {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions: simulate with a path under a file instead
      const s = new StateFile({ file: path.join(dir, 'not-a-dir', 'svc.json'), version: 1, codec: Cursor });
      await writeFile(path.join(dir, 'not-a-dir'), 'x');
      try {
        await s.save({ last: 1 });
        expect.fail('save must fail');
      } catch (err) {
        expect((err as CollectorError).code).to.equal('STATE_WRITE_FAILED');
        expect((err as Error).message).to.match(/Cannot write .*svc\.json: .*check the state directory/);
      }
      return;
    }
    const s = store();
    await s.save({ last: 1 });
    await chmod(dir, 0o500);
    try {
      await s.save({ last: 2 });
      expect.fail('save must fail');
    } catch (err) {
      expect((err as CollectorError).code).to.equal('STATE_WRITE_FAILED');
      expect((err as Error).message).to.match(/EACCES.*globals\.persistence\.config\.directory_name/);
    }
    await chmod(dir, 0o700);
    expect(await s.load()).to.deep.equal({ last: 1 });
  });
  it('never follows a symbolic link: a linked state file is refused (STATE_UNREADABLE naming it, thrown: the service does not start from its config), and a save replaces the link, not its target', async () => {
    const { dir: elsewhere, remove: removeElsewhere } = await tempDir();
    try {
      const target = path.join(elsewhere, 'target.json');
      const planted = JSON.stringify({ version: 2, state: { last: 666 } });
      await writeFile(target, planted);
      await symlink(target, path.join(dir, 'svc.json'));
      const s = store();
      const refused = await s.load().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).to.be.instanceOf(CollectorError);
      expect((refused as CollectorError).code).to.equal('STATE_UNREADABLE');
      expect((refused as Error).message).to.match(
        /^Cannot read .*svc\.json: .*svc\.json is a symbolic link.*globals\.persistence\.config\.directory_name.*The service does not start without it/,
      );
      await s.save({ last: 1 });
      expect(await readFile(target, 'utf8')).to.equal(planted);
      expect((await lstat(path.join(dir, 'svc.json'))).isFile()).to.equal(true);
      expect((await stat(path.join(dir, 'svc.json'))).mode & 0o777).to.equal(0o600);
    } finally {
      await removeElsewhere();
    }
  });

  it('tightens a state file open to other users (0666) to 0600 when it reads it, with a warning naming it', async () => {
    await writeFile(path.join(dir, 'svc.json'), JSON.stringify({ version: 2, state: { last: 5 } }));
    await chmod(path.join(dir, 'svc.json'), 0o666);
    expect(await store().load()).to.deep.equal({ last: 5 });
    expect((await stat(path.join(dir, 'svc.json'))).mode & 0o777).to.equal(0o600);
    expect(logs.join('\n')).to.match(/WARNING .*svc\.json had mode 0666, open to other users: tightened to 0600/);
  });
});

describe('writeFileAtomic', () => {
  it('never leaves a partial file: the target holds the old or the new content', async () => {
    const { dir, remove } = await tempDir();
    try {
      const file = path.join(dir, 'f');
      await writeFileAtomic(file, 'old');
      const big = 'x'.repeat(5 * 1024 * 1024);
      const writing = writeFileAtomic(file, big);
      const seen = await readFile(file, 'utf8');
      expect(seen === 'old' || seen === big).to.equal(true);
      await writing;
      expect(await readFile(file, 'utf8')).to.equal(big);
    } finally {
      await remove();
    }
  });
});
