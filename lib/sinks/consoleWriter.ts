import { CollectorError, errorMessage } from '../errors/collectorError';
import { silentLogger, type Logger } from '../log/logger';
import { SenderTelemetry } from '../telemetry/senderTelemetry';
import type { DevoReceipt, SendOptions } from './devoWriter';
import type { OutputWriter } from './outputWriter';
import { deliverWrite, failWrite, pendingWrite, type PendingWrite } from './pendingWrite';

/** The stream a {@link ConsoleWriter} writes to (standard output, in the CLI). */
export interface ConsoleStream {
  write(data: Buffer, callback: (err?: Error | null) => void): boolean;
  on(event: 'drain', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
  off(event: 'error', listener: (err: Error) => void): unknown;
}

/** Options of a {@link ConsoleWriter}. */
export interface ConsoleWriterOptions {
  readonly stream: ConsoleStream;
  /** Named in the error when the stream closes, e.g. `outputs.console_1 (type console)`. */
  readonly setting?: string;
  readonly logger?: Logger;
  readonly telemetry?: SenderTelemetry;
  /** Called once when the stream is closed under it (`CONSOLE_OUTPUT_CLOSED`): nothing more can be delivered. */
  readonly onFatal?: (error: CollectorError) => void;
}

/**
 * The `console` and `stdout` outputs: each buffer of lines written, in order, to a stream
 * (standard output). A write counts as delivered when the stream's write callback fires: the
 * bytes are in the pipe or the terminal (what the reader does with them is beyond the collector).
 * A full stream (`write` returned false) holds the next buffers until `'drain'`, so a slow reader
 * slows the pulls. When the stream fails (EPIPE: the reader closed it), every pending and later
 * write is rejected with `CONSOLE_OUTPUT_CLOSED`, logged once, and `onFatal` is called: their
 * cursors do not move, and the runner stops.
 *
 * @example
 * const writer = new ConsoleWriter({ stream: process.stdout });
 * await writer.send(Buffer.from('<14>2024-05-22T19:10:03.058Z host my.app.tag: hello\n')).delivered;
 */
export class ConsoleWriter implements OutputWriter {
  private readonly queue: PendingWrite[] = [];
  private readonly inflight = new Set<PendingWrite>();
  private waitingDrain = false;
  private failure: CollectorError | undefined;
  private closed = false;
  private readonly logger: Logger;
  private readonly telemetry: SenderTelemetry;
  private readonly idle: Array<() => void> = [];
  private readonly onDrain = () => {
    this.waitingDrain = false;
    this.pump();
  };
  private readonly onError = (err: Error) => this.fail(err);

  constructor(private readonly options: ConsoleWriterOptions) {
    this.logger = options.logger ?? silentLogger;
    this.telemetry = options.telemetry ?? new SenderTelemetry();
    this.telemetry.queuedLines = () => this.queue.reduce((n, w) => n + w.lines, 0);
    options.stream.on('drain', this.onDrain);
    options.stream.on('error', this.onError);
  }

  /** Standard output is there: readiness holds. */
  open(): void {
    if (this.failure !== undefined) return;
    this.telemetry.opened();
    this.telemetry.confirmed();
  }

  /** Nothing to confirm beyond the write callbacks. */
  drain(): void {}

  send(data: Buffer, options: SendOptions = {}): DevoReceipt {
    const write = pendingWrite(data, Date.now(), options);
    if (this.failure !== undefined || this.closed) {
      failWrite(write, this.failure ?? new CollectorError('DEVO_SENDER_CLOSED', 'The console output is closed; nothing more can be written.'));
    } else {
      this.queue.push(write);
      this.pump();
    }
    return { written: write.written.promise, delivered: write.delivered.promise };
  }

  /** Stops taking data; waits (at most `timeoutMs`) for the writes in flight; rejects what is still queued. */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    if (this.queue.length > 0 || this.inflight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref?.();
        this.idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.abandon(new CollectorError('DEVO_SENDER_CLOSED', 'The console output closed before this batch was written.'));
    this.options.stream.off('drain', this.onDrain);
    // A late EPIPE must not become an uncaught exception: the listener stays, harmless once closed.
  }

  private pump(): void {
    while (!this.waitingDrain && this.failure === undefined) {
      const write = this.queue.shift();
      if (write === undefined) break;
      this.inflight.add(write);
      const ok = this.options.stream.write(write.data, (err) => {
        if (!this.inflight.delete(write)) return;
        if (err !== null && err !== undefined) {
          failWrite(write, this.fail(err));
          return;
        }
        write.writtenAt = Date.now();
        this.telemetry.written(write.writtenAt - write.queuedAt, write.data.length, write.lines);
        deliverWrite(write);
        this.checkIdle();
      });
      if (!ok) this.waitingDrain = true;
    }
  }

  private checkIdle(): void {
    if (this.queue.length > 0 || this.inflight.size > 0) return;
    for (const wake of this.idle.splice(0)) wake();
  }

  /** The stream failed: reported once; everything held and later is rejected with `CONSOLE_OUTPUT_CLOSED`. */
  private fail(err: unknown): CollectorError {
    if (this.failure !== undefined) return this.failure;
    const code = (err as { code?: unknown }).code;
    const setting = this.options.setting ?? 'the console output';
    this.failure = new CollectorError(
      'CONSOLE_OUTPUT_CLOSED',
      `Standard output was closed under ${setting} (${typeof code === 'string' ? code : errorMessage(err)}): the program reading it exited. Nothing more can be delivered, so the collector stops; what was not written is pulled again on the next start. Pipe it into a reader that stays open, or use a syslog output.`,
      { cause: err },
    );
    this.telemetry.closed(false);
    this.logger.problem(this.failure.code, this.failure.message);
    this.abandon(this.failure);
    this.options.onFatal?.(this.failure);
    return this.failure;
  }

  private abandon(error: CollectorError): void {
    for (const write of [...this.inflight, ...this.queue.splice(0)]) failWrite(write, error);
    this.inflight.clear();
    this.checkIdle();
  }
}
