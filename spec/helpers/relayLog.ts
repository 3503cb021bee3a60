import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { DevoReceiver } from '../../lib/simulators/devoReceiver';

/** One line received by the test relay, split into the parts of the Devo wire format. */
export interface ReceivedLine {
  readonly line: string;
  readonly time: string;
  readonly host: string;
  readonly tag: string;
  readonly body: string;
  readonly key: string;
}

const LINE = /^<14>(\S+) (\S+) (\S+): (.*)$/;

/** A Devo relay for tests that parses every line and counts deliveries per event key. */
export class RelayLog {
  readonly lines: ReceivedLine[] = [];
  readonly counts = new Map<string, number>();
  readonly malformed: string[] = [];
  /** Bytes of the relays before the last restart. */
  private earlier = { wire: 0, inflated: 0 };

  private constructor(
    private relay: DevoReceiver,
    private readonly pki: ThrowawayPki,
    private readonly keyOf: (body: Record<string, unknown>) => unknown,
    private readonly readBytesPerSecond: number | undefined,
  ) {}

  static async start(
    pki: ThrowawayPki,
    keyOf: (body: Record<string, unknown>) => unknown,
    port = 0,
    options: { readBytesPerSecond?: number } = {},
  ): Promise<RelayLog> {
    const log = new RelayLog(undefined as unknown as DevoReceiver, pki, keyOf, options.readBytesPerSecond);
    log.relay = await log.listen(port, options.readBytesPerSecond);
    return log;
  }

  private listen(port: number, readBytesPerSecond: number | undefined): Promise<DevoReceiver> {
    return DevoReceiver.start({
      ca: this.pki.ca.cert,
      cert: this.pki.server.cert,
      key: this.pki.server.key,
      port,
      onLine: (line) => this.add(line, this.keyOf),
      ...(readBytesPerSecond === undefined ? {} : { readBytesPerSecond }),
    });
  }

  /**
   * Kills the relay (connections destroyed: what it had not read is lost) and starts it again on
   * the same port, optionally at another read speed; the log goes on.
   */
  async crashAndRestart(downMs: number, options: { readBytesPerSecond?: number } = {}): Promise<void> {
    const port = this.relay.port;
    await this.relay.stop({ abrupt: true });
    this.earlier = this.bytes;
    await new Promise((resolve) => setTimeout(resolve, downMs));
    this.relay = await this.listen(port, options.readBytesPerSecond ?? this.readBytesPerSecond);
  }

  private add(line: string, keyOf: (body: Record<string, unknown>) => unknown): void {
    const m = LINE.exec(line);
    if (m === null) {
      this.malformed.push(line);
      return;
    }
    const body = m[4]!;
    const key = String(keyOf(JSON.parse(body) as Record<string, unknown>));
    this.lines.push({ line, time: m[1]!, host: m[2]!, tag: m[3]!, body, key });
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  get unique(): number {
    return this.counts.size;
  }

  /** Lines beyond the first for each key. */
  get duplicates(): number {
    return this.lines.length - this.counts.size;
  }

  /** Bytes read on the wire and once inflated (gzip members), by every relay of this log. */
  get bytes(): { readonly wire: number; readonly inflated: number } {
    const now = this.relay.stats;
    return { wire: this.earlier.wire + now.bytes, inflated: this.earlier.inflated + now.bytesInflated };
  }

  get port(): number {
    return this.relay.port;
  }

  stop(): Promise<void> {
    return this.relay.stop({ abrupt: true });
  }
}
