import { chmod, stat } from 'node:fs/promises';
import { CollectorError, errorMessage } from '../errors/collectorError';
import type { Logger } from '../log/logger';
import { tightenPrivateMode } from './privateMode';

/**
 * Checks that an existing state directory is private to the collector's user: one whose mode
 * lets the group or other users in is tightened to 0700 when it is the collector's (with a warning
 * naming it and the setting), and refused with `STATE_DIRECTORY_INSECURE` when it is another
 * user's or cannot be tightened: other users could read the dead letters there, or plant files
 * and links. The directory itself may be a symbolic link (to a volume, say); what is inside it is
 * never followed (see `openPrivateFile`).
 *
 * @param setting the setting that names the directory (`globals.persistence.config.directory_name`)
 *
 * @example
 * await mkdir(dir, { recursive: true, mode: 0o700 });
 * await ensurePrivateDirectory(dir, 'globals.persistence.config.directory_name', logger);
 */
export async function ensurePrivateDirectory(directory: string, setting: string, logger: Logger): Promise<void> {
  const what = `The state directory ${directory} (${setting})`;
  const remedy = `set ${setting} to a directory of the collector's`;
  let stats;
  try {
    stats = await stat(directory);
  } catch (err) {
    throw new CollectorError('STATE_DIRECTORY_INSECURE', `${what} cannot be checked: ${errorMessage(err)}`, { cause: err });
  }
  try {
    await tightenPrivateMode(what, stats, 0o700, (mode) => chmod(directory, mode), logger, remedy);
  } catch (err) {
    const message = errorMessage(err);
    throw new CollectorError(
      'STATE_DIRECTORY_INSECURE',
      message.startsWith(what) ? message : `${what} is open to other users and cannot be tightened (${message}): ${remedy}`,
      { cause: err },
    );
  }
}
