import { expect } from 'chai';
import { chmod, chown, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createLogger } from '../../lib/log/logger';
import { SecretRedactor } from '../../lib/log/secretRedactor';
import { DeadLetterFile } from '../../lib/state/deadLetterFile';
import { tempDir } from '../helpers/tempDir';

describe('DeadLetterFile', () => {
  it('counts, logs the first 200 characters, and appends a JSON line (0600, secrets redacted)', async () => {
    const { dir, remove } = await tempDir();
    try {
      const logs: string[] = [];
      const file = path.join(dir, 'dl.jsonl');
      const dlq = new DeadLetterFile({
        file,
        service: 'pod/message',
        logger: createLogger({ write: (l) => logs.push(l) }),
        redactor: new SecretRedactor(['tok-SECRET-1']),
        now: () => Date.UTC(2024, 0, 1),
        maxRecordBytes: 300,
      });
      dlq.write(`{"broken tok-SECRET-1 ${'x'.repeat(400)}`, 'not JSON');
      dlq.write('[1]', 'not a JSON object');
      await dlq.flush();
      expect(dlq.count).to.equal(2);
      expect(logs[0]).to.match(/WARNING .* Dead-lettered a record of pod\/message \(not JSON\): "\{\\"broken \*\*\* x+…"$/);
      expect(logs[0]!.length).to.be.lessThan(400);
      const lines = (await readFile(file, 'utf8'))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines[0]).to.include({ time: '2024-01-01T00:00:00.000Z', service: 'pod/message', reason: 'not JSON', length: 422 });
      // Redacted, then cut: the kept 300 characters hold no piece of a secret.
      expect(lines[0]!['record']).to.have.length(300);
      expect(JSON.stringify(lines)).not.to.include('tok-SECRET-1');
      expect(lines[1]).to.include({ record: '[1]' });
      expect((await stat(file)).mode & 0o777).to.equal(0o600);
    } finally {
      await remove();
    }
  });

  it('never logs or stores a secret in any form: escaped, URL-encoded, or cut in half at the 200-character head or maxRecordBytes', async () => {
    const { dir, remove } = await tempDir();
    try {
      const secret = 'tok"SECRET\\42';
      const logs: string[] = [];
      const file = path.join(dir, 'dl.jsonl');
      const dlq = new DeadLetterFile({
        file,
        service: 'pod/message',
        logger: createLogger({ write: (l) => logs.push(l) }),
        redactor: new SecretRedactor([secret]),
        maxRecordBytes: 300,
      });
      dlq.write(`{"echo":"${JSON.stringify(secret).slice(1, -1)}"`, 'not JSON');
      dlq.write(`auth=${encodeURIComponent(secret)}&x=1`, 'not JSON');
      dlq.write(`${'x'.repeat(195)}${secret}${'y'.repeat(10)}`, 'not JSON');
      dlq.write(`${'z'.repeat(295)}${secret}`, 'not JSON');
      await dlq.flush();
      const stored = await readFile(file, 'utf8');
      expect(stored.trimEnd().split('\n')).to.have.length(4);
      for (const [name, text] of [
        ['log', logs.join('\n')],
        ['file', stored],
      ] as const) {
        // 'tok' starts the secret and nothing else: no piece of it may be left, cut or escaped.
        expect(text, name).not.to.include('tok').and.not.to.include('SECRET').and.not.to.include('tok%22');
      }
    } finally {
      await remove();
    }
  });

  it('logs and counts a failing disk instead of throwing into the stream', async () => {
    const { dir, remove } = await tempDir();
    try {
      const logs: string[] = [];
      const dlq = new DeadLetterFile({ file: path.join(dir, 'missing-dir', 'dl.jsonl'), service: 's', logger: createLogger({ write: (l) => logs.push(l) }) });
      dlq.write('x', 'bad');
      await dlq.flush();
      expect(dlq.failures).to.equal(1);
      expect(logs.some((l) => /ERROR .*STATE_WRITE_FAILED: cannot append to the dead-letter file/.test(l))).to.equal(true);
    } finally {
      await remove();
    }
  });
  it('tightens an existing dead-letter file of mode 0666 to 0600, with a warning naming it', async () => {
    const { dir, remove } = await tempDir();
    try {
      const logs: string[] = [];
      const file = path.join(dir, 'dl.jsonl');
      await writeFile(file, '');
      await chmod(file, 0o666);
      const dlq = new DeadLetterFile({ file, service: 's', logger: createLogger({ write: (l) => logs.push(l) }) });
      dlq.write('x', 'bad');
      await dlq.flush();
      expect((await stat(file)).mode & 0o777).to.equal(0o600);
      expect(logs.join('\n')).to.match(/WARNING .*dl\.jsonl had mode 0666, open to other users: tightened to 0600/);
      expect(await readFile(file, 'utf8')).to.include('"record":"x"');
    } finally {
      await remove();
    }
  });

  it('never follows a dead-letter file that is a symbolic link: the append is refused, naming it, and the target untouched', async () => {
    const { dir, remove } = await tempDir();
    const { dir: elsewhere, remove: removeElsewhere } = await tempDir();
    try {
      const logs: string[] = [];
      const target = path.join(elsewhere, 'victim.txt');
      await writeFile(target, 'do not touch\n');
      const file = path.join(dir, 'dl.jsonl');
      await symlink(target, file);
      const dlq = new DeadLetterFile({ file, service: 's', logger: createLogger({ write: (l) => logs.push(l) }) });
      dlq.write('x', 'bad');
      await dlq.flush();
      expect(dlq.failures).to.equal(1);
      expect(await readFile(target, 'utf8')).to.equal('do not touch\n');
      expect(logs.join('\n')).to.match(/ERROR .*STATE_WRITE_FAILED: cannot append to the dead-letter file .*dl\.jsonl: .*is a symbolic link/);
    } finally {
      await remove();
      await removeElsewhere();
    }
  });

  it("refuses a dead-letter file open to other users that is another user's (it cannot be tightened), naming it", async function () {
    if (process.getuid?.() !== 0) this.skip(); // only root can give a file to another user
    const { dir, remove } = await tempDir();
    try {
      const logs: string[] = [];
      const file = path.join(dir, 'dl.jsonl');
      await writeFile(file, 'theirs\n');
      await chmod(file, 0o666);
      await chown(file, 65534, 65534);
      const dlq = new DeadLetterFile({ file, service: 's', logger: createLogger({ write: (l) => logs.push(l) }) });
      dlq.write('x', 'bad');
      await dlq.flush();
      expect(dlq.failures).to.equal(1);
      expect(await readFile(file, 'utf8')).to.equal('theirs\n');
      expect((await stat(file)).mode & 0o777).to.equal(0o666);
      expect(logs.join('\n')).to.match(/STATE_WRITE_FAILED: .*dl\.jsonl has mode 0666, open to other users, and belongs to another user \(uid 65534\)/);
    } finally {
      await remove();
    }
  });
});
