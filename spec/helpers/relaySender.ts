import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { DevoSender, type DevoSenderOptions } from '../../lib/sinks/devoSender';

/**
 * A pipeline spec's sender: to the relay at `localhost:port` over mutual TLS with `pki`'s client certificate, a short
 * probation (50 ms), and `overrides` (the specs set `confirmAfterMs`).
 */
export function relaySender(pki: ThrowawayPki, port: number, overrides: Partial<DevoSenderOptions> = {}): DevoSender {
  return new DevoSender({ host: 'localhost', port, ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key, probationMs: 50, ...overrides });
}
