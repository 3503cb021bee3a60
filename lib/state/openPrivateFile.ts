import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { silentLogger, type Logger } from '../log/logger';
import { tightenPrivateMode } from './privateMode';

/** Options of {@link openPrivateFile}. */
export interface PrivateFileOptions {
  /** The setting that names the state directory, for messages. */
  readonly setting?: string;
  /** Where a tightened mode is reported. */
  readonly logger?: Logger;
}

/**
 * Opens a file of the state directory (state, de-dup journal, dead letters) the safe way:
 *
 * - never through a symbolic link (`O_NOFOLLOW`): a link planted there could make the collector
 *   read or write any file it can reach; it is refused with an error naming it;
 * - only a regular file (a FIFO, a socket or a device is refused; `O_NONBLOCK` keeps a FIFO from
 *   blocking the open);
 * - a file created here gets mode 0600; an existing one open to other users is tightened to 0600
 *   (with a warning) when it is the collector's, and refused when it is another user's.
 *
 * The checks are made on the open handle, so they hold for the very file that is then read or
 * written. Errors are thrown; callers wrap them (`STATE_WRITE_FAILED`, `STATE_UNREADABLE`).
 *
 * @param flags `fs.constants` open flags, e.g. `O_WRONLY | O_APPEND | O_CREAT`
 *
 * @example
 * const handle = await openPrivateFile('state/x.dedup.jsonl', constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, { logger });
 */
export async function openPrivateFile(file: string, flags: number, options: PrivateFileOptions = {}): Promise<FileHandle> {
  const setting = options.setting ?? 'globals.persistence.config.directory_name';
  let handle: FileHandle;
  try {
    handle = await open(file, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new Error(
        `${file} is a symbolic link: the collector never follows one in the state directory (${setting}), since it could make it read or write any file. Remove the link`,
        { cause: err },
      );
    }
    throw err;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new Error(`${file} is not a regular file (a directory, FIFO, socket or device): remove it from the state directory (${setting})`);
    }
    await tightenPrivateMode(
      file,
      stats,
      0o600,
      (mode) => handle.chmod(mode),
      options.logger ?? silentLogger,
      `remove it from the state directory (${setting})`,
    );
    return handle;
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}
