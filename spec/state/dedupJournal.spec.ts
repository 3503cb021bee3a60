import { expect } from 'chai';
import { appendFile, chmod, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { CollectorError } from '../../lib/errors/collectorError';
import { createLogger } from '../../lib/log/logger';
import { DedupJournal } from '../../lib/state/dedupJournal';
import { tempDir } from '../helpers/tempDir';

async function load(journal: DedupJournal): Promise<Array<[string, number]>> {
  const restored: Array<[string, number]> = [];
  await journal.load((k, e) => restored.push([k, e]));
  return restored;
}

describe('DedupJournal', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  it('starts empty, appends delivered keys (0600) and streams the live ones back in order', async () => {
    let now = 1000;
    const journal = new DedupJournal(path.join(dir, 'j.jsonl'), () => now);
    expect(await load(journal)).to.deep.equal([]);
    await journal.append([
      ['a', 2000],
      ['b', 1500],
    ]);
    await journal.append([
      ['weird "key"\n/x', 3000],
      ['a', 4000],
    ]);
    expect((await stat(journal.file)).mode & 0o777).to.equal(0o600);
    now = 1600;
    const restored: Array<[string, number]> = [];
    const content = await new DedupJournal(journal.file, () => now).load((k, e) => restored.push([k, e]));
    expect(restored).to.deep.equal([
      ['a', 2000],
      ['weird "key"\n/x', 3000],
      ['a', 4000],
    ]);
    expect(content).to.deep.equal({ restored: 3, skipped: 0, lines: 4 });
  });

  it('writes each key as JSON writes it, with or without characters to escape, and counts its lines without parsing them', async () => {
    const journal = new DedupJournal(path.join(dir, 'j.jsonl'), () => 0);
    expect(await journal.countLines()).to.equal(0); // absent
    // Plain keys take a fast path; the others go through JSON.stringify: the file must not tell them
    // apart. U+2028 and U+2029 are escaped (Node 24's readline ends a line at them).
    const keys = ['a1b2-C3', 'sha256:AbC+/x=', 'flevent_9ab7.x', 'q"uote', 'back\\slash', 'line\nbreak', 'tab\t', 'ü-ñ', 'ls\u2028ps\u2029', '', 'ctl\u0001'];
    const entries = keys.map((k, i): [string, number] => [k, 1000 + i]);
    await journal.append(entries);
    const asJson = (e: [string, number]) =>
      JSON.stringify(e)
        .replace(/\u2028/g, '\\u2028')
        .replace(/\u2029/g, '\\u2029');
    expect(await readFile(journal.file, 'utf8')).to.equal(entries.map((e) => `${asJson(e)}\n`).join(''));
    expect(await load(journal)).to.deep.equal(entries);
    expect(await journal.countLines()).to.equal(keys.length);
  });

  it('skips a torn last line (a crash in the middle of an append) and counts it', async () => {
    const journal = new DedupJournal(path.join(dir, 'j.jsonl'), () => 0);
    await journal.append([['a', 10]]);
    await appendFile(journal.file, '["b",1');
    const restored: Array<[string, number]> = [];
    const content = await journal.load((k, e) => void restored.push([k, e]));
    expect(restored).to.deep.equal([['a', 10]]);
    expect(content.skipped).to.equal(1);
  });

  it('compacts to the live keys when it has grown several times larger', async () => {
    const journal = new DedupJournal(path.join(dir, 'j.jsonl'), () => 0);
    await journal.append(Array.from({ length: 40 }, (_, i) => [`k${i}`, 10] as const));
    expect(journal.needsCompaction(10, 3, 20)).to.equal(true);
    expect(journal.needsCompaction(20, 3, 20)).to.equal(false);
    await journal.rewrite({ keys: ['k1'], expiresAt: Float64Array.of(10) });
    expect(journal.lines).to.equal(1);
    expect(await readFile(journal.file, 'utf8')).to.equal('["k1",10]\n');
  });
  it('never follows a journal that is a symbolic link: append and load are refused, naming it, and the target is untouched', async () => {
    const { dir: elsewhere, remove: removeElsewhere } = await tempDir();
    try {
      const target = path.join(elsewhere, 'victim.txt');
      await writeFile(target, 'do not touch\n');
      const file = path.join(dir, 'j.jsonl');
      await symlink(target, file);
      const journal = new DedupJournal(file, () => 0);
      const failure = await journal.append([['k', 10]]).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).to.be.instanceOf(CollectorError);
      expect((failure as CollectorError).code).to.equal('STATE_WRITE_FAILED');
      expect((failure as Error).message)
        .to.include(file)
        .and.match(/is a symbolic link/);
      expect(await readFile(target, 'utf8')).to.equal('do not touch\n');
      await writeFile(target, '["planted",99999999999999]\n');
      const loading = await load(journal).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect((loading as CollectorError).code).to.equal('STATE_UNREADABLE');
      expect((loading as Error).message)
        .to.include(file)
        .and.match(/is a symbolic link/);
    } finally {
      await removeElsewhere();
    }
  });

  it('tightens a journal open to other users (0666) to 0600 at the next append, with a warning naming it', async () => {
    const logs: string[] = [];
    const file = path.join(dir, 'j.jsonl');
    await writeFile(file, '');
    await chmod(file, 0o666);
    await new DedupJournal(file, () => 0, { logger: createLogger({ write: (l) => logs.push(l) }) }).append([['k', 10]]);
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    expect(logs.join('\n')).to.match(/WARNING .*j\.jsonl had mode 0666, open to other users: tightened to 0600/);
  });
});
