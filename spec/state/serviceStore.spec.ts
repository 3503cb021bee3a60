import { expect } from 'chai';
import * as t from 'io-ts';
import { chmod, chown, mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { from, lastValueFrom } from 'rxjs';
import type { CollectorError as StateError } from '../../lib/errors/collectorError';
import * as path from 'node:path';
import { CollectorError } from '../../lib/errors/collectorError';
import { createLogger } from '../../lib/log/logger';
import { dedupWindow } from '../../lib/operators/dedupWindow';
import { ServiceStore } from '../../lib/state/serviceStore';
import { tempDir } from '../helpers/tempDir';

const Cursor = t.type({ last: t.number });

describe('ServiceStore', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let logs: string[];
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    logs = [];
  });
  afterEach(() => remove());

  const open = (directory: string) =>
    ServiceStore.open({
      directory,
      base: 'svc',
      service: 'pod/message',
      version: 1,
      codec: Cursor,
      logger: createLogger({ write: (l) => logs.push(l) }),
      now: Date.now,
    });

  it('is the only way the cursor moves: load, commit and reset, with the cursor readable as state', async () => {
    const state = path.join(dir, 'state');
    const store = await open(state);
    expect(await store.load()).to.equal(undefined);
    const window = dedupWindow<string>({ key: (v) => v });
    const outcome = await store.commit([['k1', Date.now() + 60_000]], window, { last: 7 });
    expect(outcome).to.deep.equal({});
    expect(store.state).to.deep.equal({ last: 7 });
    const again = await open(state);
    expect(await again.load()).to.deep.equal({ last: 7 });
    const restored = dedupWindow<string>({ key: (v) => v });
    await again.restoreWindow(restored);
    expect(restored.size).to.equal(1);
    await again.reset({ last: 0 });
    const emptied = dedupWindow<string>({ key: (v) => v });
    await (await open(state)).restoreWindow(emptied);
    expect(emptied.size).to.equal(0);
  });

  it('never throws from commit: a failed write returns the error, carries nothing, waits before the next try (1 s, doubling), and rebuilds the journal from the window once writes succeed', async () => {
    const state = path.join(dir, 'state');
    // Near the wall clock: the keys restored at the end are checked against it.
    let clock = Date.now();
    const store = await ServiceStore.open({
      directory: state,
      base: 'svc',
      service: 'pod/message',
      version: 1,
      codec: Cursor,
      logger: createLogger({ write: (l) => logs.push(l) }),
      now: () => clock,
    });
    const window = dedupWindow<string>({
      key: (v) => v,
      scheduler: {
        now: () => clock,
        schedule: () => {
          throw new Error('no timers');
        },
      },
    });
    const deliver = async (...keys: string[]) => {
      await lastValueFrom(from(keys).pipe(window), { defaultValue: undefined });
      return keys.map((k) => window.confirm(k)!);
    };
    expect(await store.commit(await deliver('k1'), window, { last: 1 })).to.deep.equal({});
    // The journal's path is taken by a directory: every append fails.
    const journal = path.join(state, 'svc.dedup.jsonl');
    await rm(journal);
    await mkdir(journal);
    const failed = await store.commit(await deliver('k2', 'k3'), window, { last: 2 });
    expect(failed.error?.code).to.equal('STATE_WRITE_FAILED');
    expect(await (await open(state)).load()).to.deep.equal({ last: 1 });
    // Within the backoff nothing is tried: fixing the disk now changes nothing yet.
    await rmdir(journal);
    clock += 900;
    const waiting = await store.commit(await deliver('k4'), window, { last: 4 });
    expect(waiting).to.deep.equal({ error: failed.error, deferred: true });
    expect(await readdir(state)).not.to.include('svc.dedup.jsonl');
    // Past it, the journal is rebuilt from the window: every delivered key, the failed commits' too.
    clock += 200;
    expect(await store.commit(await deliver('k5'), window, undefined)).to.deep.equal({});
    const restored = dedupWindow<string>({ key: (v) => v });
    const reopened = await open(state);
    await reopened.restoreWindow(restored);
    expect(
      restored
        .exportState()
        .entries.map(([k]) => k)
        .sort(),
    ).to.deep.equal(['k1', 'k2', 'k3', 'k4', 'k5']);
    // The latest cursor handed over while failing is written too.
    expect(await reopened.load()).to.deep.equal({ last: 4 });
  });

  it('backs off longer after each failed write (up to a minute), and a final commit (a stop) tries at once', async () => {
    const state = path.join(dir, 'state');
    let clock = Date.UTC(2024, 4, 22, 12);
    const store = await ServiceStore.open({
      directory: state,
      base: 'svc',
      service: 'pod/message',
      version: 1,
      codec: Cursor,
      logger: createLogger({ write: () => undefined }),
      now: () => clock,
    });
    const window = dedupWindow<string>({ key: (v) => v });
    // The cursor's path is taken by a directory: every save fails (the journal appends work).
    await mkdir(path.join(state, 'svc.json'));
    // A new failure is a new attempt; while the store waits it hands back the last one.
    const attempts: number[] = [];
    let lastError: StateError | undefined;
    for (let t = 0; t < 200_000; t += 250) {
      clock = Date.UTC(2024, 4, 22, 12) + t;
      const outcome = await store.commit([], window, { last: t });
      expect(outcome.error?.code).to.equal('STATE_WRITE_FAILED');
      if (outcome.error !== lastError) attempts.push(t);
      lastError = outcome.error;
    }
    // 1, 2, 4, 8, 16, 32, 60, 60 s apart.
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps.slice(0, 7)).to.deep.equal([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000]);
    expect(Math.max(...gaps)).to.equal(60_000);
    // A stop writes at once.
    await rmdir(path.join(state, 'svc.json'));
    expect(await store.commit([], window, { last: 7 }, true)).to.deep.equal({});
    expect(await (await open(state)).load()).to.deep.equal({ last: 7 });
  });

  it('creates the state directory with mode 0700', async () => {
    const state = path.join(dir, 'a', 'state');
    await open(state);
    expect((await stat(state)).mode & 0o777).to.equal(0o700);
  });

  it('tightens an existing state directory of mode 0777 to 0700, with a warning naming it and the setting', async () => {
    const state = path.join(dir, 'state');
    await mkdir(state);
    await chmod(state, 0o777);
    const store = await open(state);
    expect((await stat(state)).mode & 0o777).to.equal(0o700);
    expect(logs.join('\n')).to.match(
      /WARNING .*The state directory .*state \(globals\.persistence\.config\.directory_name\) had mode 0777, open to other users: tightened to 0700/,
    );
    await store.reset({ last: 1 });
    expect(await (await open(state)).load()).to.deep.equal({ last: 1 });
  });

  it("refuses a state directory open to other users that is another user's (it cannot be tightened), naming it and the setting", async function () {
    if (process.getuid?.() !== 0) this.skip(); // only root can give a directory to another user
    const state = path.join(dir, 'state');
    await mkdir(state);
    await chmod(state, 0o777);
    await chown(state, 65534, 65534);
    const failure = await open(state).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).to.be.instanceOf(CollectorError);
    expect((failure as CollectorError).code).to.equal('STATE_DIRECTORY_INSECURE');
    expect((failure as Error).message)
      .to.include(state)
      .and.include('globals.persistence.config.directory_name')
      .and.include('uid 65534');
    expect((await stat(state)).mode & 0o777).to.equal(0o777);
    expect(await readdir(state)).to.deep.equal([]);
  });
});
