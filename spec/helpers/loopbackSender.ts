import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { DevoReceiver, type DevoReceiverOptions } from '../../lib/simulators/devoReceiver';
import { DevoSender, type DevoSenderOptions } from '../../lib/sinks/devoSender';
import { sharedPki } from './pki';

/** A {@link DevoSender} and a mutual-TLS {@link DevoReceiver} on loopback, for the sender's specs (see {@link loopbackSender}). */
export interface LoopbackSender {
  /** The shared throwaway PKI (from the suite's `before` on). */
  readonly pki: ThrowawayPki;
  /** The relay's side of the PKI (`ca`, `cert`, `key`), for a relay of a test's own (`tls.createServer`). */
  readonly relayTls: { readonly ca: string; readonly cert: string; readonly key: string };
  /** The lines the relay received in this test, without their line breaks. */
  readonly lines: string[];
  /** Starts the test's relay on `port` (default any free one), its certificate from {@link pki}. */
  readonly startRelay: (overrides?: Partial<DevoReceiverOptions>, port?: number) => Promise<DevoReceiver>;
  /** The test's sender to `localhost:port` with the client certificate, a short backoff (20-100 ms) and probation (50 ms). */
  readonly newSender: (port: number, overrides?: Partial<DevoSenderOptions>) => DevoSender;
  /** Stops the test's relay now, abruptly. */
  readonly stopRelay: () => Promise<void>;
}

/**
 * Registers, in the calling `describe`, the hooks of a sender spec on real TLS: the PKI made once, the received lines
 * emptied before each test, and after each the sender closed (500 ms) and the relay stopped abruptly.
 */
export function loopbackSender(): LoopbackSender {
  let pki: ThrowawayPki | undefined;
  let relay: DevoReceiver | undefined;
  let sender: DevoSender | undefined;
  const lines: string[] = [];
  const stopRelay = async (): Promise<void> => {
    await relay?.stop({ abrupt: true });
    relay = undefined;
  };
  const fixture: LoopbackSender = {
    get pki(): ThrowawayPki {
      if (pki === undefined) throw new Error('loopbackSender: the PKI is made in the suite’s before hook');
      return pki;
    },
    get relayTls() {
      const { ca, server } = fixture.pki;
      return { ca: ca.cert, cert: server.cert, key: server.key };
    },
    lines,
    startRelay: async (overrides = {}, port = 0) => {
      relay = await DevoReceiver.start({ ...fixture.relayTls, port, onLine: (l) => lines.push(l), ...overrides });
      return relay;
    },
    newSender: (port, overrides = {}) => {
      const { ca, client } = fixture.pki;
      sender = new DevoSender({
        host: 'localhost',
        port,
        ca: ca.cert,
        cert: client.cert,
        key: client.key,
        backoffInitialMs: 20,
        backoffMaxMs: 100,
        probationMs: 50,
        settings: { cert: 'outputs.devo_1.config.cert (/certs/client.crt)', chain: 'outputs.devo_1.config.chain (/certs/chain.crt)' },
        ...overrides,
      });
      return sender;
    },
    stopRelay,
  };
  before(async () => {
    pki = await sharedPki();
  });
  beforeEach(() => {
    lines.length = 0;
  });
  afterEach(async () => {
    await sender?.close(500).catch(() => undefined);
    sender = undefined;
    await stopRelay();
  });
  return fixture;
}
