import { expect } from 'chai';
import * as t from 'io-ts';
import { chmod, chown, mkdir, readdir, stat } from 'node:fs/promises';
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
    expect(outcome).to.deep.equal({ unpersisted: [] });
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

  it('never throws from commit: it returns the keys it could not persist with the error, and leaves the cursor file alone', async () => {
    const state = path.join(dir, 'state');
    const store = await open(state);
    await store.commit([], dedupWindow<string>({ key: (v) => v }), { last: 1 });
    // The journal's path is taken by a directory: every append fails.
    await mkdir(path.join(state, 'svc.dedup.jsonl'));
    const delivered = [['k1', Date.now() + 60_000], ['k2', Date.now() + 60_000]] as const;
    const outcome = await store.commit(delivered, dedupWindow<string>({ key: (v) => v }), { last: 2 });
    expect(outcome.unpersisted).to.deep.equal(delivered);
    expect(outcome.error?.code).to.equal('STATE_WRITE_FAILED');
    expect(await (await open(state)).load()).to.deep.equal({ last: 1 });
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
    expect(logs.join('\n')).to.match(/WARNING .*The state directory .*state \(globals\.persistence\.config\.directory_name\) had mode 0777, open to other users: tightened to 0700/);
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
    expect((failure as Error).message).to.include(state).and.include('globals.persistence.config.directory_name').and.include('uid 65534');
    expect((await stat(state)).mode & 0o777).to.equal(0o777);
    expect(await readdir(state)).to.deep.equal([]);
  });
});
