import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { CollectorError } from '../../lib/errors/collectorError';
import { lockStateDirectory, STATE_LOCK_STALE_MS } from '../../lib/state/stateDirectoryLock';
import { tempDir } from '../helpers/tempDir';
import { waitFor } from '../helpers/waitFor';

async function refusal(directory: string): Promise<CollectorError> {
  const err = await lockStateDirectory(directory, { onLost: () => undefined }).then(
    async (lock) => {
      await lock.release();
      throw new Error('expected the lock to be refused');
    },
    (e: unknown) => e,
  );
  expect(err).to.be.instanceOf(CollectorError);
  return err as CollectorError;
}

/** Plants the lock of a holder that is not this process: `pid` on `host`, its mtime `ageMs` old. */
async function plant(directory: string, pid: number, host: string, ageMs = 0): Promise<void> {
  const lock = path.join(directory, '.lock');
  await mkdir(lock, { recursive: true });
  await writeFile(path.join(lock, 'owner.json'), JSON.stringify({ pid, host, since: '2024-05-22T19:10:03.058Z' }));
  const at = new Date(Date.now() - ageMs);
  await utimes(lock, at, at);
}

describe('lockStateDirectory', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  it('holds the state directory until released: a second taker is refused with the holder (pid, host, since) and what to do', async () => {
    const state = path.join(dir, 'state');
    const lock = await lockStateDirectory(state, { onLost: () => undefined });
    const err = await refusal(state);
    expect(err.code).to.equal('STATE_DIRECTORY_LOCKED');
    expect(err.message).to.match(
      new RegExp(
        `^The state directory ${state} \\(globals\\.persistence\\.config\\.directory_name\\) is in use by another collector: pid ${process.pid} on host ${hostname().replace(/\./g, '\\.')}, since \\d{4}-`,
      ),
    );
    expect(err.message).to.include('stop the other one, or give this one its own globals.persistence.config.directory_name');
    await lock.release();
    await lock.release();
    expect(await readdir(state)).to.deep.equal([]);
    await (await lockStateDirectory(state, { onLost: () => undefined })).release();
  });

  it('takes at once a lock whose holder died on this host (its pid is gone)', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    const pid = dead.pid!;
    await new Promise((resolve) => dead.once('exit', resolve));
    await plant(dir, pid, hostname());
    const lock = await lockStateDirectory(dir, { onLost: () => undefined });
    await lock.release();
  });

  it('refuses a fresh lock of another host, and takes it once it has not been refreshed for 30 s', async () => {
    await plant(dir, 1, 'other-host');
    expect((await refusal(dir)).message).to.include('pid 1 on host other-host, since 2024-05-22T19:10:03.058Z');
    await plant(dir, 1, 'other-host', STATE_LOCK_STALE_MS + 5000);
    await (await lockStateDirectory(dir, { onLost: () => undefined })).release();
  });

  it('takes a removed lock again, tells its holder when another holds it now, and leaves the new holder alone on release', async () => {
    const lost: CollectorError[] = [];
    const lock = await lockStateDirectory(dir, { onLost: (e) => lost.push(e), refreshMs: 50 });
    await rm(path.join(dir, '.lock'), { recursive: true });
    await waitFor(() => existsSync(path.join(dir, '.lock', 'owner.json')), 'the lock taken again', 2000);
    expect((await refusal(dir)).message).to.include(`pid ${process.pid} on host`);
    expect(lost).to.deep.equal([]);
    await rm(path.join(dir, '.lock'), { recursive: true });
    await plant(dir, 1, 'other-host');
    await waitFor(() => lost.length > 0, 'the loss', 2000);
    expect(lost[0]!.code).to.equal('STATE_DIRECTORY_LOCKED');
    expect(lost[0]!.message).to.match(
      /^Lost the lock of the state directory .* it is now held by pid 1 on host other-host, since 2024-05-22T19:10:03\.058Z\. Another collector may be using the directory: stopping/,
    );
    await lock.release();
    expect(await readdir(path.join(dir, '.lock'))).to.deep.equal(['owner.json']);
  });
});
