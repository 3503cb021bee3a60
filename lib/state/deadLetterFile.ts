import { constants } from 'node:fs';
import { rename } from 'node:fs/promises';
import { errorMessage } from '../errors/collectorError';
import { silentLogger, type Logger } from '../log/logger';
import { SecretRedactor } from '../log/secretRedactor';
import { openPrivateFile } from './openPrivateFile';

/** Options of a {@link DeadLetterFile}. */
export interface DeadLetterFileOptions {
  readonly file: string;
  /** The service whose records these are, written on each line. */
  readonly service: string;
  readonly logger?: Logger;
  readonly redactor?: SecretRedactor;
  /** The setting that names the state directory, for messages. */
  readonly setting?: string;
  /** A record longer than this is stored cut (with its full length). Default 1 MiB. */
  readonly maxRecordBytes?: number;
  /** Past this size the file is rotated to `<file>.1` (one generation kept). Default 64 MiB. */
  readonly maxFileBytes?: number;
  readonly now?: () => number;
}

/**
 * Where records the pipeline cannot process go (not JSON, no key, no parseable time): each is
 * counted, logged as a warning with its first 200 characters, and appended to a JSON-lines file
 * as `{"time","service","reason","length","record"}` (mode 0600, never through a symbolic link,
 * a looser mode tightened: see {@link openPrivateFile}). Secrets are redacted before the record is
 * cut and escaped, and again after. Appends are serialized in the background; a failing disk (or
 * a refused file) is logged and counted, never thrown into the stream.
 *
 * @example
 * const dlq = new DeadLetterFile({ file: 'state/pod-12345-message.deadletter.jsonl', service: 'pod/message', logger });
 * dlq.write('{"broken', 'not JSON');
 */
export class DeadLetterFile {
  private written = 0;
  private failed = 0;
  private pending: Promise<void> = Promise.resolve();
  private readonly logger: Logger;
  private readonly redactor: SecretRedactor;

  constructor(private readonly options: DeadLetterFileOptions) {
    this.logger = options.logger ?? silentLogger;
    this.redactor = options.redactor ?? new SecretRedactor();
  }

  /** Records dead-lettered since creation. */
  get count(): number {
    return this.written;
  }

  /** Records that could not be stored (disk trouble). */
  get failures(): number {
    return this.failed;
  }

  /** Counts, logs and stores one record. Never throws. */
  write(record: string, reason: string): void {
    this.written++;
    // Redacted before escaping (and cut only then, so that no piece of a secret is left at the
    // cut), and again after: a secret is caught in whatever form the record holds it.
    const head = record.length > 200 ? `${this.redactor.redactHead(record, 200)}…` : this.redactor.redact(record);
    this.logger.warn(this.redactor.redact(`Dead-lettered a record of ${this.options.service} (${reason}): ${JSON.stringify(head)}`));
    const max = this.options.maxRecordBytes ?? 1024 * 1024;
    const line = `${this.redactor.redact(
      JSON.stringify({
        time: new Date((this.options.now ?? Date.now)()).toISOString(),
        service: this.options.service,
        reason: this.redactor.redact(reason),
        length: record.length,
        record: record.length > max ? this.redactor.redactHead(record, max) : this.redactor.redact(record),
      }),
    )}\n`;
    this.pending = this.pending.then(() => this.append(line));
  }

  /** Resolves when every record written so far is on disk (or has failed). */
  flush(): Promise<void> {
    return this.pending;
  }

  private async append(line: string): Promise<void> {
    const { file } = this.options;
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;
    const options = { logger: this.logger, ...(this.options.setting === undefined ? {} : { setting: this.options.setting }) };
    try {
      let handle = await openPrivateFile(file, flags, options);
      try {
        if ((await handle.stat()).size + line.length > (this.options.maxFileBytes ?? 64 * 1024 * 1024)) {
          await handle.close();
          await rename(file, `${file}.1`);
          handle = await openPrivateFile(file, flags, options);
        }
        await handle.appendFile(line);
      } finally {
        await handle.close();
      }
    } catch (err) {
      this.failed++;
      this.logger.problem('STATE_WRITE_FAILED', `cannot append to the dead-letter file ${file}: ${errorMessage(err)}`);
    }
  }
}
