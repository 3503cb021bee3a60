import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type * as t from 'io-ts';
import { CollectorError, describeError, errorMessage } from '../errors/collectorError';
import type { Logger } from '../log/logger';
import type { SecretRedactor } from '../log/secretRedactor';
import type { DedupEntry, DedupWindow } from '../operators/dedupWindow';
import { DeadLetterFile } from './deadLetterFile';
import { DedupJournal } from './dedupJournal';
import { ensurePrivateDirectory } from './ensurePrivateDirectory';
import { StateFile, type StateMigration } from './stateFile';

/** What the store needs of a de-dup window. */
export type WindowState = Pick<DedupWindow<unknown>, 'restore' | 'size' | 'exportState'>;

/** What a {@link ServiceStore.commit} could not persist: the caller offers it again at the next commit. */
export interface CommitOutcome {
  /** Delivered keys not appended to the journal. */
  readonly unpersisted: readonly DedupEntry[];
  /** The first failure (`STATE_WRITE_FAILED`), if any: the caller logs it. */
  readonly error?: CollectorError;
}

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
 * ({@link DeadLetterFile}). It is the only way a cursor moves: {@link load} at start,
 * {@link reset} when the config starts the service over, {@link commit} after each delivery
 * (keys first, then the cursor, so that a crash in between only re-filters delivered events).
 * {@link state} is the cursor as last loaded or committed, for the parts that read it (a
 * catch-up decision); nothing else writes it.
 */
export class ServiceStore<S> {
  private current: S | undefined;

  private constructor(
    private readonly stateFile: StateFile<S>,
    private readonly journal: DedupJournal,
    /** Where records that cannot be processed go. */
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

  /** The cursor as last loaded, reset or committed (committed: handed to `commit`, even if its write failed). */
  get state(): S | undefined {
    return this.current;
  }

  /** Reads the persisted cursor (undefined when absent or unusable: see {@link StateFile.load}). */
  async load(): Promise<S | undefined> {
    this.current = await this.stateFile.load();
    return this.current;
  }

  /**
   * Starts the service over from `state`: the journal is emptied (what the old cursor delivered is
   * not a duplicate of what the new one will pull) and `state` written. Throws
   * `STATE_WRITE_FAILED` (the state in memory is `state` all the same).
   */
  async reset(state: S): Promise<void> {
    this.current = state;
    await this.journal.rewrite({ version: 1, entries: [] });
    await this.stateFile.save(state);
  }

  /** Lines in the journal: about the keys {@link restoreWindow} will restore (0 when it cannot be read). */
  async journalLines(): Promise<number> {
    return this.journal.countLines().catch(() => 0);
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
   * Persists what a delivery covers: appends `delivered` (the keys delivered since the last
   * commit, as the window's `confirm` gave them) to the journal, compacts the journal when it has
   * grown, writes `state` when there is one, and flushes the dead letters. Never throws: what it
   * could not persist is returned with the first failure, and the caller offers those keys again
   * at the next commit (with a cursor that covers them).
   */
  async commit(delivered: readonly DedupEntry[], window: WindowState, state: S | undefined): Promise<CommitOutcome> {
    if (state !== undefined) this.current = state;
    try {
      await this.journal.append(delivered);
    } catch (err) {
      return { unpersisted: delivered, error: asStateError(err) };
    }
    try {
      if (this.journal.needsCompaction(window.size)) await this.journal.rewrite(window.exportState());
      if (state !== undefined) await this.stateFile.save(state);
    } catch (err) {
      return { unpersisted: [], error: asStateError(err) };
    } finally {
      await this.deadLetter.flush();
    }
    return { unpersisted: [] };
  }
}

function asStateError(err: unknown): CollectorError {
  return err instanceof CollectorError ? err : new CollectorError('STATE_WRITE_FAILED', errorMessage(err), { cause: err });
}
