import type { Stats } from 'node:fs';
import type { Logger } from '../log/logger';

/** Mode bits that let the group or other users in. */
const OPEN_TO_OTHERS = 0o077;

/**
 * Makes a path of the state directory private to the collector's user: when its mode lets the
 * group or other users in, it is chmodded to `privateMode` (0700 for the directory, 0600 for a
 * file) if the collector's user owns it, with a warning naming it; a path of another user is
 * refused (thrown, naming it), since tightening someone else's file is not ours to do. Nothing
 * happens on a platform without POSIX owners (Windows).
 *
 * @param what the path as messages name it (`The state directory /app/state (…)`, or a file path)
 * @param stats the path's `stat` (of an open handle, for a file: the very file that will be used)
 * @param chmod changes the mode of that same path or handle
 *
 * @example
 * await tightenPrivateMode(file, await handle.stat(), 0o600, (m) => handle.chmod(m), logger, 'remove it');
 */
export async function tightenPrivateMode(
  what: string,
  stats: Stats,
  privateMode: number,
  chmod: (mode: number) => Promise<void>,
  logger: Logger,
  remedy: string,
): Promise<void> {
  const mode = stats.mode & 0o7777;
  if ((mode & OPEN_TO_OTHERS) === 0) return;
  // Only read, to know whose path it is (no process state is changed here).
  const uid = process.geteuid?.();
  if (uid === undefined) return;
  if (stats.uid !== uid) {
    throw new Error(
      `${what} has mode ${octal(mode)}, open to other users, and belongs to another user (uid ${stats.uid}), so the collector cannot tighten it: refused. Make it the collector's (chown to uid ${uid}) with mode ${octal(privateMode)}, or ${remedy}`,
    );
  }
  await chmod(privateMode);
  logger.warn(`${what} had mode ${octal(mode)}, open to other users: tightened to ${octal(privateMode)}`);
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
