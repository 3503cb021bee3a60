import { constants } from 'node:fs';
import { rename } from 'node:fs/promises';
import type * as t from 'io-ts';
import { CollectorError, errorMessage } from '../errors/collectorError';
import { formatValidationErrors } from '../config/formatValidationErrors';
import { silentLogger, type Logger } from '../log/logger';
import { openPrivateFile } from './openPrivateFile';
import { writeFileAtomic } from './writeFileAtomic';

/** Upgrades the state of version `n` to version `n + 1`. */
export type StateMigration = (state: unknown) => unknown;

/** Options of a {@link StateFile}. */
export interface StateFileOptions<S> {
  readonly file: string;
  /** Current version; files of older versions are migrated, step by step. */
  readonly version: number;
  /** Shape of the current version's state. */
  readonly codec: t.Type<S, unknown, unknown>;
  /** `migrations[n]` upgrades version n to n + 1. */
  readonly migrations?: Readonly<Record<number, StateMigration>>;
  /** The setting that names the state directory, for error messages. */
  readonly setting?: string;
  readonly logger?: Logger;
  readonly now?: () => number;
}

interface Envelope {
  readonly version: number;
  readonly state: unknown;
}

/**
 * One service's persisted state: a small versioned JSON file (`{ "version": n, "state": … }`)
 * written atomically with mode 0600. A file that is corrupt, truncated, of an unknown version or
 * of the wrong shape is reported (`STATE_UNREADABLE`), moved aside as
 * `<file>.corrupt-<time>` (kept for inspection, never deleted) and `load` returns `undefined`, so
 * the service starts from its config instead of crash-looping. A file that exists but cannot be
 * read (permissions, a symbolic link, which is never followed) is `STATE_UNREADABLE`, thrown: the
 * service does not start rather than pull again what the file says was delivered. A mode open to
 * other users is tightened (see `openPrivateFile`).
 */
export class StateFile<S> {
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(private readonly options: StateFileOptions<S>) {
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  get file(): string {
    return this.options.file;
  }

  /** The state, migrated to the current version; `undefined` when absent or corrupt (moved aside). Throws `STATE_UNREADABLE` when it cannot be read. */
  async load(): Promise<S | undefined> {
    let text: string;
    try {
      const handle = await openPrivateFile(this.options.file, constants.O_RDONLY, {
        logger: this.logger,
        ...(this.options.setting === undefined ? {} : { setting: this.options.setting }),
      });
      try {
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      // Starting from the config instead would pull again, and deliver twice, what this state says was delivered.
      throw new CollectorError(
        'STATE_UNREADABLE',
        `Cannot read ${this.options.file}: ${errorMessage(err)}. The service does not start without it: make it readable and writable by the collector's user (chown -R the state directory, ${this.options.setting ?? 'the state directory'}), or remove it to start from the config`,
        { cause: err },
      );
    }
    const problem = this.decode(text);
    if (typeof problem !== 'string') return problem.state;
    const aside = `${this.options.file}.corrupt-${new Date(this.now()).toISOString().replace(/[:.]/g, '-')}`;
    let moved = `moved aside to ${aside}`;
    try {
      await rename(this.options.file, aside);
    } catch (err) {
      moved = `could not be moved aside (${errorMessage(err)})`;
    }
    this.logger.problem('STATE_UNREADABLE', `${this.options.file} ${problem}; it was ${moved}. Starting from the config.`);
    return undefined;
  }

  private decode(text: string): { state: S } | string {
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch (err) {
      return `is not valid JSON (${errorMessage(err)}): corrupt or truncated`;
    }
    if (!isEnvelope(envelope)) return 'has no "version" and "state": not a state file of this collector';
    let { version, state } = envelope;
    if (version > this.options.version) {
      return `was written by a newer version of the collector (state version ${version}, this one reads up to ${this.options.version})`;
    }
    while (version < this.options.version) {
      const migrate = this.options.migrations?.[version];
      if (migrate === undefined) return `has state version ${version}, which this collector cannot upgrade`;
      try {
        state = migrate(state);
      } catch (err) {
        return `could not be upgraded from state version ${version}: ${errorMessage(err)}`;
      }
      this.logger.info(`Upgraded ${this.options.file} from state version ${version} to ${version + 1}`);
      version++;
    }
    const decoded = this.options.codec.decode(state);
    if (decoded._tag === 'Left') return `does not hold a valid state: ${formatValidationErrors(decoded.left).join('; ')}`;
    return { state: decoded.right };
  }

  /**
   * Writes the state atomically. Throws `STATE_WRITE_FAILED` (naming the file and the reason:
   * permissions, disk full); the previous file is then left as it was.
   */
  async save(state: S): Promise<void> {
    const envelope: Envelope = { version: this.options.version, state: this.options.codec.encode(state) };
    try {
      await writeFileAtomic(this.options.file, JSON.stringify(envelope));
    } catch (err) {
      throw new CollectorError(
        'STATE_WRITE_FAILED',
        `Cannot write ${this.options.file}: ${errorMessage(err)}. The cursor is kept in memory and written again at the next commit; check ${this.options.setting ?? 'the state directory'} (permissions, free space)`,
        { cause: err },
      );
    }
  }
}

function isEnvelope(u: unknown): u is Envelope {
  return (
    typeof u === 'object' && u !== null && Number.isSafeInteger((u as { version?: unknown }).version) && (u as { version: number }).version >= 1 && 'state' in u
  );
}
