import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { CollectorError, errorMessage } from '../errors/collectorError';

/** The setting that names the state directory, for messages. */
const DIRECTORY_SETTING = 'globals.persistence.config.directory_name';

/** Who the check runs as, for the remedy it prints (default: this process's user and group). */
export interface StateDirectoryUser {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Checks at start that the collector can keep state: creates the state directory when it is
 * absent (mode 0700), then creates, writes, syncs and removes a probe file in it. Throws
 * `STATE_DIRECTORY_UNWRITABLE`, naming the directory, the setting and what to do (for a
 * permission problem, `chown -R uid:gid` of the collector's user: a directory that Docker created
 * for a bind mount belongs to root, and the image runs as uid 1000), rather than letting the
 * collector deliver events whose cursors it cannot save, which the next start would pull again.
 * A failure later on is not this check's: it is logged (`STATE_WRITE_FAILED`) and retried.
 *
 * @example
 * await checkStateDirectoryWritable(config.stateDirectory); // before startCollector
 */
export async function checkStateDirectoryWritable(directory: string, user: StateDirectoryUser | undefined = currentUser()): Promise<void> {
  const probe = path.join(directory, `.write-probe-${randomBytes(6).toString('hex')}`);
  let step = 'create it';
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    step = `create a file in it (${path.basename(probe)})`;
    const handle = await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      step = 'write to a file in it';
      await handle.writeFile('probe\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    step = `remove a file from it (${path.basename(probe)})`;
    await unlink(probe);
  } catch (err) {
    await unlink(probe).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    throw new CollectorError(
      'STATE_DIRECTORY_UNWRITABLE',
      `The state directory ${directory} (${DIRECTORY_SETTING}) is not writable: cannot ${step}: ${errorMessage(err)}. ${remedy(directory, code, user)} Without it the cursors cannot be saved and every start would pull everything again.`,
      { cause: err },
    );
  }
}

/** This process's effective user and group (undefined where the platform has none). */
export function currentUser(): StateDirectoryUser | undefined {
  const uid = process.geteuid?.();
  const gid = process.getegid?.();
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

function remedy(directory: string, code: string | undefined, user: StateDirectoryUser | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM': {
      const who = user === undefined ? "the collector's user" : `uid ${user.uid}`;
      const chown =
        user === undefined
          ? 'chown it to that user'
          : `run \`chown -R ${user.uid}:${user.gid} ${directory}\` (in a container: on the host directory mounted there)`;
      return `The collector runs as ${who}: ${chown}, or set ${DIRECTORY_SETTING} to a directory it can write.`;
    }
    case 'EROFS':
      return `The file system is read-only: mount the state directory read-write (no :ro), or set ${DIRECTORY_SETTING} to a writable directory.`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `A part of the path is a file, not a directory: remove or move it, or set ${DIRECTORY_SETTING} to another directory.`;
    case 'ENOSPC':
    case 'EDQUOT':
      return 'The disk (or the quota) is full: free some space.';
    case 'ELOOP':
      return 'The probe file is a symbolic link: remove it.';
    default:
      return `Make it writable by the collector's user, or set ${DIRECTORY_SETTING} to a directory it can write.`;
  }
}
