/**
 * What a {@link DevoWriter} gives back for each buffer it takes: two moments, because a socket's
 * write callback only means the kernel took the bytes, not that the relay read them.
 * Both promises are marked as handled: awaiting either is optional.
 */
export interface DevoReceipt {
  /**
   * Resolves when the socket took the bytes (the write callback fired). Pace the next write, and
   * release what backpressure counts, on this. Rejects with `DEVO_SENDER_CLOSED` when the writer
   * closed before the bytes could be written.
   */
  readonly written: Promise<void>;
  /**
   * Resolves when the relay has certainly read the bytes: the relay answered a half-close with
   * its EOF, or enough was written after them that no socket buffer can still hold them (the
   * resend window). Persist cursors on this only. Rejects with `DEVO_SENDER_CLOSED` when the
   * writer closed without that confirmation (the data was perhaps never read: pull it again).
   */
  readonly delivered: Promise<void>;
}

/** What a writer may be told with a buffer. */
export interface SendOptions {
  /** Called once the writer no longer holds the buffer (its memory may then be reused). */
  readonly onRelease?: () => void;
  /** Syslog lines in the buffer, for the statistics. */
  readonly lines?: number;
}

/**
 * What the Devo sink writes to: a {@link DevoSender}, or anything that takes whole buffers of
 * syslog lines and tells when they were written and when delivered. `options.onRelease`, when
 * given, must be called once the writer no longer holds `data` (its memory may then be reused).
 *
 * @example
 * const receipt = sender.send(Buffer.from('<14>2024-05-22T19:10:03.058Z host my.app.tag: {}\n'));
 * await receipt.written;   // the socket took it
 * await receipt.delivered; // the relay read it: now the cursor may move
 */
export interface DevoWriter {
  send(data: Buffer, options?: SendOptions): DevoReceipt;
}
