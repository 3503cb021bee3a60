import { appendFile, rename, stat } from 'node:fs/promises';
import { errorMessage } from '../errors/collectorError';
import { silentLogger, type Logger } from '../log/logger';
import { SecretRedactor } from '../log/secretRedactor';

/** Options of a {@link DeadLetterFile}. */
export interface DeadLetterFileOptions {
  readonly file: string;
  /** The service whose records these are, written on each line. */
  readonly service: string;
  readonly logger?: Logger;
  readonly redactor?: SecretRedactor;
  /** A record longer than this is stored cut (with its full length). Default 1 MiB. */
  readonly maxRecordBytes?: number;
  /** Past this size the file is rotated to `<file>.1` (one generation kept). Default 64 MiB. */
  readonly maxFileBytes?: number;
  readonly now?: () => number;
}

/**
 * Where records the pipeline cannot process go (not JSON, no key, no parseable time): each is
 * counted, logged as a warning with its first 200 characters, and appended to a JSON-lines file
 * (mode 0600) as `{"time","service","reason","length","record"}`. Secrets are redacted before
 * the record is cut and escaped, and again after. Appends are
 * serialized in the background; a failing disk is logged and counted, never thrown into the
 * stream.
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
    try {
      const size = await stat(file).then(
        (s) => s.size,
        () => 0,
      );
      if (size + line.length > (this.options.maxFileBytes ?? 64 * 1024 * 1024)) await rename(file, `${file}.1`);
      await appendFile(file, line, { mode: 0o600 });
    } catch (err) {
      this.failed++;
      this.logger.error(`STATE_WRITE_FAILED: cannot append to the dead-letter file ${file}: ${errorMessage(err)}`);
    }
  }
}
