import { rmSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CollectorError, errorMessage } from '../errors/collectorError';

/** The setting that names the state directory, for messages. */
const DIRECTORY_SETTING = 'globals.persistence.config.directory_name';

/** The lock: a directory in the state directory (mkdir is atomic), its mtime refreshed while held. */
const LOCK_NAME = '.lock';
/** Who holds it, inside it (so that it goes with the lock). */
const OWNER_NAME = 'owner.json';

/** A lock whose mtime was not refreshed for this long is stale (its holder died, on another host). */
export const STATE_LOCK_STALE_MS = 30_000;
/** The holder refreshes the lock's mtime this often. */
const REFRESH_MS = 10_000;

/** The locks this process holds (its own pid in a lock it does not hold is a previous incarnation's). */
const heldHere = new Set<string>();

/** Who holds a state directory's lock. */
export interface StateLockOwner {
  readonly pid: number;
  readonly host: string;
  /** ISO-8601 of when it took the lock. */
  readonly since: string;
}

/** A held lock on a state directory. */
export interface StateDirectoryLock {
  /** Gives the lock up (idempotent). */
  release(): Promise<void>;
}

/** Options of {@link lockStateDirectory}. */
export interface StateDirectoryLockOptions {
  /**
   * Called once if the lock is lost while held (another process holds it now): the caller must
   * stop, since another collector may be using the directory. A lock that was only removed is
   * taken again.
   */
  readonly onLost: (error: CollectorError) => void;
  /** How often the holder refreshes the lock and checks it is still its own. Default 10 s (well within the 30 s that make it stale). */
  readonly refreshMs?: number;
}

/**
 * Takes the lock of a state directory, so that two collectors never pull the same services into
 * the same state (PoD's 409 saves one of them; CASB would pull everything twice, and both would
 * write the same files). The lock is the directory `<state>/.lock` (an atomic `mkdir`) holding
 * `owner.json` (pid, host, since); its holder refreshes its mtime every 10 s and checks that it
 * is still its own. A holder that died on this host (SIGKILL, OOM) is detected at once: its pid is
 * gone, or is this very process's (a restarted container has the same pid and host name); one
 * that died on another host (a shared volume) once its lock is 30 s old. Released on stop and at
 * process exit. Creates the state directory (0700) when it is absent. Throws
 * `STATE_DIRECTORY_LOCKED` naming the holder and what to do.
 *
 * Not proper-lockfile, which does the same mkdir-and-mtime dance: it brings signal-exit, which
 * takes over 15 signals of the host process and raises them again (Node ignores SIGXFSZ, so a
 * full disk under a file size limit would kill the collector, and an embedding application's
 * SIGUSR2 would kill it too). A library must leave its host's signals alone.
 *
 * @example
 * const lock = await lockStateDirectory(config.stateDirectory, { onLost: () => void collector.stop() });
 * // ... run ...
 * await lock.release();
 */
export async function lockStateDirectory(directory: string, options: StateDirectoryLockOptions): Promise<StateDirectoryLock> {
  const lockPath = path.join(directory, LOCK_NAME);
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    for (let attempt = 0; ; attempt++) {
      if (await take(lockPath)) return holding(lockPath, options);
      const held = await inspect(lockPath);
      if (held === 'gone' && attempt < 3) continue; // released meanwhile: try again
      if (held === 'gone' || attempt > 0 || !isStale(held, heldHere.has(lockPath))) throw locked(directory, held === 'gone' ? undefined : held.owner);
      // Its holder is gone (SIGKILL, OOM, a container restart, a host lost): the lock is ours to
      // take. Moved aside first (a rename is atomic: of two takers, one moves it), then removed.
      const aside = `${lockPath}.stale-${randomBytes(4).toString('hex')}`;
      await rename(lockPath, aside).catch(() => undefined);
      await rm(aside, { recursive: true, force: true });
    }
  } catch (err) {
    if (err instanceof CollectorError) throw err;
    throw new CollectorError(
      'STATE_DIRECTORY_UNWRITABLE',
      `Cannot take the lock of the state directory ${directory} (${DIRECTORY_SETTING}): ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

/** True when this process made the lock directory (false: it exists). */
async function take(lockPath: string): Promise<boolean> {
  try {
    await mkdir(lockPath, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  const owner: StateLockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  await writeFile(path.join(lockPath, OWNER_NAME), `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  return true;
}

interface HeldLock {
  /** Absent while its holder is still writing it. */
  readonly owner: StateLockOwner | undefined;
  readonly mtimeMs: number;
}

async function inspect(lockPath: string): Promise<HeldLock | 'gone'> {
  const mtimeMs = await stat(lockPath).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
  if (mtimeMs === undefined) return 'gone';
  return { owner: await readOwner(lockPath), mtimeMs };
}

async function readOwner(lockPath: string): Promise<StateLockOwner | undefined> {
  try {
    const value = JSON.parse(await readFile(path.join(lockPath, OWNER_NAME), 'utf8')) as Partial<StateLockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.since === 'string')
      return { pid: value.pid, host: value.host, since: value.since };
  } catch {
    // none yet, or torn
  }
  return undefined;
}

/**
 * Its holder ran on this host and runs no more, or its pid is this process's while this process
 * does not hold it (`mine`): a previous incarnation, as in a restarted container. Another host's:
 * not refreshed for {@link STATE_LOCK_STALE_MS}.
 */
function isStale(held: HeldLock, mine: boolean): boolean {
  if (mine) return false;
  const owner = held.owner;
  // On this host the holder's pid tells (an old mtime may only be a busy or read-only disk).
  if (owner !== undefined && owner.host === hostname()) {
    if (owner.pid === process.pid) return true;
    try {
      process.kill(owner.pid, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
  return Date.now() - held.mtimeMs > STATE_LOCK_STALE_MS;
}

/** Keeps the lock fresh and watches that it stays ours, until released. */
function holding(lockPath: string, options: StateDirectoryLockOptions): StateDirectoryLock {
  heldHere.add(lockPath);
  let released = false;
  let ours = readOwner(lockPath);
  const removeAtExit = () => {
    if (!released) rmSync(lockPath, { recursive: true, force: true });
  };
  process.once('exit', removeAtExit);
  const isOurs = async (owner: StateLockOwner | undefined): Promise<boolean> => {
    const mine = await ours;
    return owner !== undefined && mine !== undefined && owner.pid === mine.pid && owner.host === mine.host && owner.since === mine.since;
  };
  const refresh = async (): Promise<void> => {
    let held = await inspect(lockPath);
    if (released) return;
    if (held === 'gone') {
      // Removed (the directory moved or emptied): take it again where it can be taken; where it
      // cannot (the directory is gone), no other collector can take it either.
      const retaken = await take(lockPath).catch(() => false);
      if (retaken) ours = readOwner(lockPath);
      held = await inspect(lockPath);
      if (retaken || held === 'gone') return;
    }
    if (!(await isOurs(held.owner))) {
      released = true;
      heldHere.delete(lockPath);
      clearInterval(timer);
      process.off('exit', removeAtExit);
      options.onLost(
        new CollectorError(
          'STATE_DIRECTORY_LOCKED',
          `Lost the lock of the state directory ${path.dirname(lockPath)} (${DIRECTORY_SETTING}): it is now held by ${describe(held.owner)}. Another collector may be using the directory: stopping. Run one collector per state directory`,
        ),
      );
      return;
    }
    const now = new Date();
    await utimes(lockPath, now, now).catch(() => undefined);
  };
  const timer = setInterval(() => void refresh().catch(() => undefined), options.refreshMs ?? REFRESH_MS);
  timer.unref();
  return {
    release: async () => {
      if (released) return;
      released = true;
      heldHere.delete(lockPath);
      clearInterval(timer);
      process.off('exit', removeAtExit);
      const held = await inspect(lockPath);
      if (held !== 'gone' && (await isOurs(held.owner))) await rm(lockPath, { recursive: true, force: true });
    },
  };
}

function describe(owner: StateLockOwner | undefined): string {
  return owner === undefined ? 'another process (it is still writing who it is)' : `pid ${owner.pid} on host ${owner.host}, since ${owner.since}`;
}

function locked(directory: string, owner: StateLockOwner | undefined): CollectorError {
  return new CollectorError(
    'STATE_DIRECTORY_LOCKED',
    `The state directory ${directory} (${DIRECTORY_SETTING}) is in use by another collector: ${describe(owner)}. Two collectors on one state directory would pull the same data twice and overwrite each other's state: stop the other one, or give this one its own ${DIRECTORY_SETTING}. A lock left by a collector that died on another host is taken over once it is ${STATE_LOCK_STALE_MS / 1000} s old.`,
  );
}
