import { constants } from 'node:fs';
import { createInterface } from 'node:readline';
import { CollectorError, errorMessage } from '../errors/collectorError';
import type { DedupSnapshot } from '../operators/dedupWindow';
import { openPrivateFile, type PrivateFileOptions } from './openPrivateFile';
import { writeFileAtomic } from './writeFileAtomic';

/** What {@link DedupJournal.load} found. */
export interface DedupJournalContent {
  /** Live keys handed to `restore` (a key appended twice counts twice). */
  readonly restored: number;
  /** Lines that could not be read (a crash in the middle of an append leaves one). */
  readonly skipped: number;
  /** Lines in the file, live or not. */
  readonly lines: number;
}

/**
 * The persisted part of a de-dup window, as an append-only file of `["key",expiresAt]` lines
 * (mode 0600): each commit appends only the keys delivered since the previous one (cheap, however
 * big the window), and the file is rewritten atomically with the live keys only when it has grown
 * to several times their number. Keys are appended only after the sink acknowledged their events,
 * so a key in the journal always means "delivered". The file is never opened through a symbolic
 * link, and a mode open to other users is tightened (see {@link openPrivateFile}).
 */
export class DedupJournal {
  private lineCount = 0;

  constructor(
    readonly file: string,
    private readonly now: () => number = Date.now,
    private readonly options: PrivateFileOptions = {},
  ) {}

  /** Lines in the file now (live and expired). */
  get lines(): number {
    return this.lineCount;
  }

  /**
   * Streams the live keys, oldest first, to `restore` (a window's `restore`), without holding the
   * file in memory; a key appended twice is restored twice, the later expiry winning. An absent
   * file is an empty window.
   */
  async load(restore: (key: string, expiresAt: number) => void): Promise<DedupJournalContent> {
    let restored = 0;
    let skipped = 0;
    let lines = 0;
    const now = this.now();
    try {
      const handle = await openPrivateFile(this.file, constants.O_RDONLY, this.options);
      const input = handle.createReadStream({ encoding: 'utf8' });
      try {
        for await (const line of createInterface({ input, crlfDelay: Infinity })) {
          if (line === '') continue;
          lines++;
          const entry = parseLine(line);
          if (entry === undefined) skipped++;
          else if (entry[1] > now) {
            restore(entry[0], entry[1]);
            restored++;
          }
        }
      } finally {
        // Closes the handle too, whether the file was read to its end or `restore` threw.
        input.destroy();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new CollectorError('STATE_UNREADABLE', `Cannot read the de-dup journal ${this.file}: ${errorMessage(err)}`, { cause: err });
      }
    }
    this.lineCount = lines;
    return { restored, skipped, lines };
  }

  /** Lines in the file (live or not; 0 when it is absent), counted without parsing them. */
  async countLines(): Promise<number> {
    let lines = 0;
    try {
      const handle = await openPrivateFile(this.file, constants.O_RDONLY, this.options);
      const input = handle.createReadStream();
      try {
        for await (const chunk of input as AsyncIterable<Buffer>) {
          for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) lines++;
        }
      } finally {
        input.destroy();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new CollectorError('STATE_UNREADABLE', `Cannot read the de-dup journal ${this.file}: ${errorMessage(err)}`, { cause: err });
      }
    }
    return lines;
  }

  /** Appends delivered keys and fsyncs. */
  async append(entries: ReadonlyArray<readonly [string, number]>): Promise<void> {
    if (entries.length === 0) return;
    const text = entries.map(([key, expiresAt]) => line(key, expiresAt)).join('');
    try {
      const handle = await openPrivateFile(this.file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, this.options);
      try {
        await handle.appendFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw new CollectorError('STATE_WRITE_FAILED', `Cannot append to the de-dup journal ${this.file}: ${errorMessage(err)}`, { cause: err });
    }
    this.lineCount += entries.length;
  }

  /** True when the file holds more than `factor` times `live` lines (and more than `floor`). */
  needsCompaction(live: number, factor = 3, floor = 10_000): boolean {
    return this.lineCount > floor && this.lineCount > factor * live;
  }

  /**
   * Replaces the file atomically with exactly `snapshot`'s keys (see {@link writeFileAtomic}: a
   * crash leaves the old file or the new one). The text is made and written {@link REWRITE_CHUNK_CHARS}
   * at a time, never whole: at a million keys it would be ~55 MB, and its string, its lines and its
   * bytes would lift the heap by several times that for the length of a compaction.
   */
  async rewrite(snapshot: DedupSnapshot): Promise<void> {
    try {
      await writeFileAtomic(this.file, chunks(snapshot));
    } catch (err) {
      throw new CollectorError('STATE_WRITE_FAILED', `Cannot rewrite the de-dup journal ${this.file}: ${errorMessage(err)}`, { cause: err });
    }
    this.lineCount = snapshot.keys.length;
  }
}

/** About how many characters of lines {@link DedupJournal.rewrite} writes at a time (a chunk ends at the first line end past it). */
const REWRITE_CHUNK_CHARS = 64 * 1024;

/** The journal's text for `snapshot`, in chunks of whole lines of about {@link REWRITE_CHUNK_CHARS}. */
function* chunks({ keys, expiresAt }: DedupSnapshot): Generator<string> {
  let chunk = '';
  for (let i = 0; i < keys.length; i++) {
    chunk += line(keys[i]!, expiresAt[i]!);
    if (chunk.length >= REWRITE_CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/** Keys that JSON writes as they are (PoD guids and ids, CASB ids, `sha256:` digests): no escaping to do. */
const PLAIN_KEY = /^[\w.:+/=-]*$/;

/** U+2028 and U+2029, which JSON leaves as they are and Node 24's readline takes for line ends. */
const LINE_SEPARATORS = /[\u2028\u2029]/g;

/**
 * One journal line, `["key",expiresAt]`: the text of `JSON.stringify([key, expiresAt])`, but for
 * U+2028 and U+2029 in a key, written as `\u2028` and `\u2029` (the same JSON) so that every reader
 * of lines sees one line.
 */
function line(key: string, expiresAt: number): string {
  if (PLAIN_KEY.test(key)) return `["${key}",${expiresAt}]\n`;
  const json = JSON.stringify(key).replace(LINE_SEPARATORS, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
  return `[${json},${expiresAt}]\n`;
}

function parseLine(line: string): [string, number] | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && Number.isFinite(value[1])) {
      return [value[0], value[1] as number];
    }
  } catch {
    // a torn last line
  }
  return undefined;
}
