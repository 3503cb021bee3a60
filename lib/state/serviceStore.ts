import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type * as t from 'io-ts';
import { describeError, errorMessage } from '../errors/collectorError';
import type { Logger } from '../log/logger';
import type { SecretRedactor } from '../log/secretRedactor';
import type { DedupWindow } from '../operators/dedupWindow';
import { DeadLetterFile } from './deadLetterFile';
import { DedupJournal } from './dedupJournal';
import { ensurePrivateDirectory } from './ensurePrivateDirectory';
import { StateFile, type StateMigration } from './stateFile';

/** What the store needs of a de-dup window. */
export type WindowState = Pick<DedupWindow<unknown>, 'restore' | 'size' | 'exportState'>;

/** The setting that names the state directory, for messages. */
const DIRECTORY_SETTING = 'globals.persistence.config.directory_name';

/** Options of {@link ServiceStore.open}. */
export interface ServiceStoreOptions<S> {
  readonly directory: string;
  /** File name base: `<base>.json`, `<base>.dedup.jsonl`, `<base>.deadletter.jsonl`. */
  readonly base: string;
  /** The service, as dead letters name it (`pod/message`). */
  readonly service: string;
  readonly version: number;
  readonly codec: t.Type<S, unknown, unknown>;
  readonly migrations?: Readonly<Record<number, StateMigration>>;
  readonly logger: Logger;
  readonly redactor?: SecretRedactor;
  readonly now: () => number;
}

/**
 * Everything one service keeps in the state directory: its cursor ({@link StateFile}), the
 * delivered keys of its de-dup window ({@link DedupJournal}) and its dead letters
 * ({@link DeadLetterFile}). {@link commit} is the only way the cursor moves, after delivery:
 * keys first, then the cursor, so that a crash in between only re-filters delivered events.
 */
export class ServiceStore<S> {
  private constructor(
    readonly stateFile: StateFile<S>,
    readonly journal: DedupJournal,
    readonly deadLetter: DeadLetterFile,
    private readonly logger: Logger,
  ) {}

  /**
   * Creates the directory (0700; a failure is logged, the service runs without persistence). An
   * existing one open to other users is tightened to 0700 (with a warning) when it is the
   * collector's, and refused (`STATE_DIRECTORY_INSECURE`, thrown) when it is another user's.
   */
  static async open<S>(options: ServiceStoreOptions<S>): Promise<ServiceStore<S>> {
    const { directory, logger, now } = options;
    let created = true;
    try {
      await mkdir(directory, { recursive: true, mode: 0o700 });
    } catch (err) {
      created = false;
      logger.error(
        `STATE_WRITE_FAILED: cannot create the state directory ${directory} (${DIRECTORY_SETTING}): ${errorMessage(err)}. Running without persistence until it is fixed.`,
      );
    }
    if (created) await ensurePrivateDirectory(directory, DIRECTORY_SETTING, logger);
    const base = path.join(directory, options.base);
    return new ServiceStore(
      new StateFile<S>({
        file: `${base}.json`,
        version: options.version,
        codec: options.codec,
        ...(options.migrations === undefined ? {} : { migrations: options.migrations }),
        setting: DIRECTORY_SETTING,
        logger,
        now,
      }),
      new DedupJournal(`${base}.dedup.jsonl`, now, { logger, setting: DIRECTORY_SETTING }),
      new DeadLetterFile({
        file: `${base}.deadletter.jsonl`,
        service: options.service,
        logger,
        setting: DIRECTORY_SETTING,
        ...(options.redactor === undefined ? {} : { redactor: options.redactor }),
        now,
      }),
      logger,
    );
  }

  /** Puts the journal's live keys into `window`; an unreadable journal is logged, the window stays empty. */
  async restoreWindow(window: WindowState): Promise<void> {
    try {
      const content = await this.journal.load((key, expiresAt) => window.restore(key, expiresAt));
      if (content.skipped > 0) this.logger.warn(`Skipped ${content.skipped} unreadable line(s) of ${this.journal.file} (a torn append)`);
      this.logger.info(`Restored ${window.size} delivered key(s) into the de-dup window`);
    } catch (err) {
      this.logger.error(`${describeError(err)}. Starting with an empty de-dup window (a catch-up may re-send duplicates)`);
    }
  }

  /**
   * Persists what a delivery covers: appends the keys delivered since the last commit (they are
   * taken from `delivered`, and put back if the append fails), compacts the journal when it has
   * grown, writes the cursor when there is one, and flushes the dead letters. Throws the first
   * failure (the caller logs it and tries again at the next commit).
   */
  async commit(delivered: Array<readonly [string, number]>, window: WindowState, state: S | undefined, maxPending: number): Promise<void> {
    const keys = delivered.splice(0);
    try {
      await this.journal.append(keys);
    } catch (err) {
      // Kept for the next commit (bounded: past the window's size they would be evicted anyway).
      const later = delivered.splice(0);
      for (const entry of keys.slice(-maxPending)) delivered.push(entry);
      for (const entry of later) delivered.push(entry);
      throw err;
    }
    if (this.journal.needsCompaction(window.size)) await this.journal.rewrite(window.exportState());
    if (state !== undefined) await this.stateFile.save(state);
    await this.deadLetter.flush();
  }
}
