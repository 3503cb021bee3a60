import { expect } from 'chai';
import { chmod, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { keyFileModeWarning } from '../../lib/config/keyFileMode';
import { tempDir } from '../helpers/tempDir';

describe('keyFileModeWarning', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let key: { path: string; setting: string };

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    key = { path: path.join(dir, 'client.key'), setting: 'outputs.devo_1.config.key' };
    await writeFile(key.path, 'a key', { mode: 0o600 });
  });
  afterEach(() => remove());

  it('is silent on a key only its owner can read (chmod 600 or 400)', async () => {
    expect(await keyFileModeWarning(key)).to.equal(undefined);
    await chmod(key.path, 0o400);
    expect(await keyFileModeWarning(key)).to.equal(undefined);
  });

  it('warns on a key other users can read (0644), naming the file and the fix', async () => {
    await chmod(key.path, 0o644);
    expect(await keyFileModeWarning(key)).to.equal(
      `outputs.devo_1.config.key: the private key ${key.path} can be read by other users (mode 0644): run chmod 600 ${key.path} (only the collector's user should read it)`,
    );
  });

  it('warns on a key its group can read when the collector owns it (0640)', async () => {
    await chmod(key.path, 0o640);
    expect(await keyFileModeWarning(key)).to.match(/can be read by its group \(mode 0640\): run chmod 600 /);
  });

  it('is silent on a group-readable key the collector reads through its group (a Kubernetes secret with fsGroup, 0440 root-owned)', async () => {
    await chmod(key.path, 0o440);
    // As another owner than the collector: the group is how it reads the file.
    expect(await keyFileModeWarning(key, { uid: (process.getuid?.() ?? 0) + 1 })).to.equal(undefined);
  });

  it('says nothing about a file it cannot stat (loadConfig reports that one)', async () => {
    expect(await keyFileModeWarning({ ...key, path: path.join(dir, 'absent.key') })).to.equal(undefined);
  });
});
