import type { DevoWriter } from './devoWriter';

/**
 * What the runner drives for an output: a {@link DevoWriter} with a life cycle. A
 * {@link DevoSender} (Devo over TLS, a syslog relay over TLS or plain TCP) and a
 * {@link ConsoleWriter} (standard output) are both.
 *
 * @example
 * const writer: OutputWriter = outputSender(config, credentials, deps);
 * writer.open();
 * await writer.send(Buffer.from('<14>2024-05-22T19:10:03.058Z host my.app.tag: hello\n')).delivered;
 * await writer.close();
 */
export interface OutputWriter extends DevoWriter {
  /** Connects now (an unreachable relay is reported at start), where there is something to connect. */
  open(): void;
  /** The writers are stopping: confirm what is written as soon as nothing is being written. */
  drain(): void;
  /** Stops taking data and settles what it holds within `timeoutMs`; what was not confirmed is rejected. */
  close(timeoutMs?: number): Promise<void>;
}
