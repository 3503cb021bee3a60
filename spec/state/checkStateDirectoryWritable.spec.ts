import { expect } from 'chai';
import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { CollectorError } from '../../lib/errors/collectorError';
import { checkStateDirectoryWritable } from '../../lib/state/checkStateDirectoryWritable';
import { CONTAINER_UID, otherUserFixture, runAs } from '../helpers/otherUser';
import { tempDir } from '../helpers/tempDir';

async function failure(run: () => Promise<void>): Promise<CollectorError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof CollectorError) return err;
    throw err;
  }
  throw new Error('expected a CollectorError');
}

describe('checkStateDirectoryWritable', () => {
  let dir: string;
  let remove: () => Promise<void>;

  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  it('creates a missing state directory (0700) and leaves no probe file behind', async () => {
    const state = path.join(dir, 'a', 'state');
    await checkStateDirectoryWritable(state);
    expect((await stat(state)).mode & 0o777).to.equal(0o700);
    expect(await readdir(state)).to.deep.equal([]);
    // An existing, writable one passes as it is.
    await writeFile(path.join(state, 'kept.json'), '{}');
    await checkStateDirectoryWritable(state);
    expect(await readdir(state)).to.deep.equal(['kept.json']);
  });

  it('refuses a path under a file with STATE_DIRECTORY_UNWRITABLE, naming the directory, the setting and what to do', async () => {
    await writeFile(path.join(dir, 'not-a-directory'), 'a file');
    const state = path.join(dir, 'not-a-directory', 'state');
    const err = await failure(() => checkStateDirectoryWritable(state));
    expect(err.code).to.equal('STATE_DIRECTORY_UNWRITABLE');
    expect(err.message).to.include(`The state directory ${state} (globals.persistence.config.directory_name) is not writable: cannot create it: ENOTDIR`);
    expect(err.message).to.include('A part of the path is a file, not a directory');
    expect(err.message).to.include('every start would pull everything again');
  });

  it('refuses a directory the collector may not write to, telling the chown of its user (as a root-owned bind mount in the container)', async function () {
    // Root writes anywhere: the permission check can only be seen as another user.
    if (process.geteuid?.() === 0) {
      // A fixture uid 1000 can reach, wherever the checkout sits (a CI clone may be in a 0700 directory).
      const other = await otherUserFixture();
      const { dir: reachable, remove: removeReachable } = await other.tempDir();
      try {
        const state = path.join(reachable, 'state');
        await mkdir(state, { mode: 0o755 });
        const script = `require(${JSON.stringify(other.module('lib/state/checkStateDirectoryWritable'))}).checkStateDirectoryWritable(${JSON.stringify(state)}).then(() => console.log('OK'), (e) => console.log(e.code + ': ' + e.message))`;
        const { stdout: out } = await runAs(CONTAINER_UID, other.node, ['-e', script], reachable);
        expect(out).to.match(
          /^STATE_DIRECTORY_UNWRITABLE: The state directory .*\/state \(globals\.persistence\.config\.directory_name\) is not writable: cannot create a file in it \(\.write-probe-[0-9a-f]+\): EACCES/,
        );
        expect(out).to.include(`The collector runs as uid 1000: run \`chown -R 1000:1000 ${state}\``);
      } finally {
        await removeReachable();
      }
    } else {
      const state = path.join(dir, 'state');
      await mkdir(state, { mode: 0o500 });
      const err = await failure(() => checkStateDirectoryWritable(state));
      expect(err.message).to.include(`chown -R ${process.geteuid?.()}:${process.getegid?.()} ${state}`);
      await chmod(state, 0o700);
    }
  });
});
