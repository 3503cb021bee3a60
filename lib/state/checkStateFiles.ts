import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { CollectorError, errorMessage } from '../errors/collectorError';
import { currentUser, type StateDirectoryUser } from './checkStateDirectoryWritable';

/** The setting that names the state directory, for messages. */
const DIRECTORY_SETTING = 'globals.persistence.config.directory_name';

/** The collector's files in a state directory: cursors, de-dup journals, dead letters (and their rotated generation). */
const STATE_FILE = /\.(json|jsonl|jsonl\.1)$/;

/**
 * Checks at start that every state file already in the directory can be read and written by the
 * collector: each `….json`, `….dedup.jsonl`, `….deadletter.jsonl` (and `.1`) must be a regular file,
 * not a symbolic link, that opens for reading and writing. Throws `STATE_UNREADABLE` naming the
 * first file that cannot, every other one that cannot either, and what to do (for permissions, the
 * recursive `chown` of the collector's user: a native run as root leaves root's files behind, and
 * the container runs as uid 1000). Without this, a service would start from its config, or with
 * an empty de-dup window, and pull again what was delivered. Files moved aside (`….corrupt-…`),
 * temporary files and the lock (names starting with a dot) are not the collector's state and are
 * left alone. A directory that does not exist yet holds no state: nothing to check.
 *
 * @example
 * await checkStateDirectoryWritable(config.stateDirectory);
 * await checkStateFiles(config.stateDirectory);
 */
export async function checkStateFiles(directory: string, user: StateDirectoryUser | undefined = currentUser()): Promise<void> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CollectorError(
      'STATE_UNREADABLE',
      `The state directory ${directory} (${DIRECTORY_SETTING}) cannot be listed: ${errorMessage(err)}. ${chownRemedy(directory, user)}`,
      { cause: err },
    );
  }
  const problems: Array<{ file: string; reason: string; permission: boolean }> = [];
  for (const name of names.sort()) {
    if (name.startsWith('.') || !STATE_FILE.test(name)) continue;
    const file = path.join(directory, name);
    const problem = await unusable(file);
    if (problem !== undefined) problems.push({ file, ...problem });
  }
  const first = problems[0];
  if (first === undefined) return;
  const others =
    problems.length > 1
      ? ` (and ${problems.length - 1} more: ${problems
          .slice(1)
          .map((p) => path.basename(p.file))
          .join(', ')})`
      : '';
  const remedy = problems.some((p) => p.permission)
    ? chownRemedy(directory, user)
    : `Remove or replace what is named, or set ${DIRECTORY_SETTING} to another directory.`;
  throw new CollectorError(
    'STATE_UNREADABLE',
    `The state file ${first.file} cannot be used: ${first.reason}${others}. ${remedy} The collector does not start: it would otherwise pull again, and deliver twice, what that state says was delivered.`,
  );
}

async function unusable(file: string): Promise<{ reason: string; permission: boolean } | undefined> {
  try {
    const stats = await lstat(file);
    if (stats.isSymbolicLink()) return { reason: 'it is a symbolic link, which the collector never follows in the state directory', permission: false };
    if (!stats.isFile()) return { reason: 'it is not a regular file', permission: false };
    const handle = await open(file, constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    await handle.close();
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return { reason: `cannot open it for reading and writing (${errorMessage(err)})`, permission: code === 'EACCES' || code === 'EPERM' };
  }
}

function chownRemedy(directory: string, user: StateDirectoryUser | undefined): string {
  return user === undefined
    ? `Make the directory and every file in it the collector's user's (chown -R), or set ${DIRECTORY_SETTING} to another directory.`
    : `The collector runs as uid ${user.uid}: run \`chown -R ${user.uid}:${user.gid} ${directory}\` (in a container: on the host directory mounted there), or set ${DIRECTORY_SETTING} to another directory.`;
}
