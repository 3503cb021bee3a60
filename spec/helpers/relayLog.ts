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

  private constructor(readonly relay: DevoReceiver) {}

  static async start(pki: ThrowawayPki, keyOf: (body: Record<string, unknown>) => unknown, port = 0): Promise<RelayLog> {
    let log!: RelayLog;
    const relay = await DevoReceiver.start({
      ca: pki.ca.cert,
      cert: pki.server.cert,
      key: pki.server.key,
      port,
      onLine: (line) => log.add(line, keyOf),
    });
    log = new RelayLog(relay);
    return log;
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

  get port(): number {
    return this.relay.port;
  }

  stop(): Promise<void> {
    return this.relay.stop({ abrupt: true });
  }
}
