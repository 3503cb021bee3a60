import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Replaces `file` with `data` (a string, bytes, or chunks of either, written one after the other
 * so that a large file is never whole in memory) so that a crash at any moment leaves either the
 * old content or the new one, never a mix: write a temp file in the same directory (mode `mode`, default 0600),
 * fsync it, rename it over `file`, fsync the directory. On failure the temp file is removed and
 * the old file is untouched; the error is thrown. A symbolic link at `file` is replaced by the
 * new file (its target is never written).
 *
 * @example
 * await writeFileAtomic('state/pod-message.json', JSON.stringify(state));
 */
export async function writeFileAtomic(file: string, data: string | Buffer | Iterable<string | Buffer>, mode = 0o600): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // A new file only (O_EXCL), never through a link (O_NOFOLLOW): nothing planted at the name is used.
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    try {
      // A handle's writeFile writes at its position: chunk after chunk.
      if (typeof data === 'string' || Buffer.isBuffer(data)) await handle.writeFile(data);
      else for (const chunk of data) await handle.writeFile(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  const directory = await open(dir, 'r');
  try {
    await directory.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    await directory.close();
  }
}
