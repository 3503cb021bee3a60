import { expect } from 'chai';
import * as t from 'io-ts';
import { chmod, chown, mkdir, readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { CollectorError } from '../../lib/errors/collectorError';
import { createLogger } from '../../lib/log/logger';
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
    await store.stateFile.save({ last: 1 });
    expect(await store.stateFile.load()).to.deep.equal({ last: 1 });
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
