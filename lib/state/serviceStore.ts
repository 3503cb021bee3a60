import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type * as t from 'io-ts';
import { CollectorError, errorMessage } from '../errors/collectorError';
import type { Logger } from '../log/logger';
import type { SecretRedactor } from '../log/secretRedactor';
import type { DedupEntry, DedupWindow } from '../operators/dedupWindow';
import { DeadLetterFile } from './deadLetterFile';
import { DedupJournal } from './dedupJournal';
import { ensurePrivateDirectory } from './ensurePrivateDirectory';
import { StateFile, type StateMigration } from './stateFile';
import { backoffDelay } from '../flow/backoff';

/** What the store needs of a de-dup window. */
export type WindowState = Pick<DedupWindow<unknown>, 'restore' | 'size' | 'snapshot'>;

/** How a {@link ServiceStore.commit} went. */
export interface CommitOutcome {
  /**
   * The failure (`STATE_WRITE_FAILED`) while the state cannot be written: of this attempt, or of
   * the last one while the store waits before trying again (see {@link ServiceStore.commit}).
   */
  readonly error?: CollectorError;
  /** Nothing was tried: the store waits after a failure (what was handed over is written by the next attempt). */
  readonly deferred?: true;
}

/** After a failed write, the store waits this long before the next attempt, doubling per failure up to {@link COMMIT_BACKOFF_MAX_MS}. */
export const COMMIT_BACKOFF_INITIAL_MS = 1000;
export const COMMIT_BACKOFF_MAX_MS = 60_000;

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
  /** `current` has not been written yet. */
  private stateDirty = false;
  /** The journal lacks delivered keys (an append failed): the next write rewrites it from the window. */
  private journalStale = false;
  /** The last write's failure, while writes fail. */
  private failure: CollectorError | undefined;
  private failures = 0;
  private retryAt = 0;
  /** The write in progress (commits are written one at a time). */
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly stateFile: StateFile<S>,
    private readonly journal: DedupJournal,
    /** Where records that cannot be processed go. */
    readonly deadLetter: DeadLetterFile,
    private readonly logger: Logger,
    private readonly now: () => number,
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
      logger.problem(
        'STATE_WRITE_FAILED',
        `cannot create the state directory ${directory} (${DIRECTORY_SETTING}): ${errorMessage(err)}. Running without persistence until it is fixed.`,
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
      now,
    );
  }

  /** The cursor as last loaded, reset or committed (committed: handed to `commit`, even if its write failed). */
  get state(): S | undefined {
    return this.current;
  }

  /** Reads the persisted cursor (undefined when absent or corrupt; throws when unreadable: see {@link StateFile.load}). */
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
    await this.journal.rewrite({ keys: [], expiresAt: new Float64Array(0) });
    await this.stateFile.save(state);
  }

  /** Lines in the journal: about the keys {@link restoreWindow} will restore (0 when it cannot be read). */
  async journalLines(): Promise<number> {
    return this.journal.countLines().catch(() => 0);
  }

  /**
   * Puts the journal's live keys into `window`. Throws `STATE_UNREADABLE` when the journal exists
   * but cannot be read: starting with an empty window would deliver again what it says was delivered.
   */
  async restoreWindow(window: WindowState): Promise<void> {
    const content = await this.journal.load((key, expiresAt) => window.restore(key, expiresAt));
    if (content.skipped > 0) this.logger.warn(`Skipped ${content.skipped} unreadable line(s) of ${this.journal.file} (a torn append)`);
    this.logger.info(`Restored ${window.size} delivered key(s) into the de-dup window`);
  }

  /**
   * Persists what a delivery covers: appends `delivered` (the keys delivered since the last
   * commit, as the window's `confirm` gave them) to the journal, compacts the journal when it has
   * grown, writes the latest `state` handed to any commit, and flushes the dead letters. Never
   * throws. While writes fail (a full or read-only disk), nothing is carried: the delivered keys
   * stay in `window` (which is what the journal holds), the journal is marked stale and rebuilt
   * from the window by the first write that succeeds, and the store does not try again before a
   * backoff (1 s, doubling to 60 s) is over, returning the last failure meanwhile. `final` (the
   * last commit of a stop) tries at once whatever the backoff.
   */
  commit(delivered: readonly DedupEntry[], window: WindowState, state: S | undefined, final = false): Promise<CommitOutcome> {
    if (state !== undefined) {
      this.current = state;
      this.stateDirty = true;
    }
    // One write at a time, in call order.
    const outcome = this.writing.then(() => this.write(delivered, window, final));
    this.writing = outcome.catch(() => undefined);
    return outcome;
  }

  private async write(delivered: readonly DedupEntry[], window: WindowState, final: boolean): Promise<CommitOutcome> {
    if (this.failure !== undefined && !final && this.now() < this.retryAt) {
      // Not appended now: the keys are in the window, from which the next write rebuilds the journal.
      if (delivered.length > 0) this.journalStale = true;
      return { error: this.failure, deferred: true };
    }
    try {
      try {
        if (this.journalStale || this.journal.needsCompaction(window.size)) {
          await this.journal.rewrite(window.snapshot());
          this.journalStale = false;
        } else await this.journal.append(delivered);
      } catch (err) {
        if (delivered.length > 0) this.journalStale = true;
        throw err;
      }
      const current = this.current;
      if (this.stateDirty && current !== undefined) {
        await this.stateFile.save(current);
        // A newer state handed over meanwhile is still to be written.
        if (this.current === current) this.stateDirty = false;
      }
    } catch (err) {
      return { error: this.failed(asStateError(err)) };
    } finally {
      await this.deadLetter.flush();
    }
    this.failure = undefined;
    this.failures = 0;
    return {};
  }

  private failed(error: CollectorError): CollectorError {
    this.failure = error;
    this.failures++;
    this.retryAt = this.now() + backoffDelay({ initialMs: COMMIT_BACKOFF_INITIAL_MS, maxMs: COMMIT_BACKOFF_MAX_MS }, this.failures);
    return error;
  }
}

function asStateError(err: unknown): CollectorError {
  return err instanceof CollectorError ? err : new CollectorError('STATE_WRITE_FAILED', errorMessage(err), { cause: err });
}
