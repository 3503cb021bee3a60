/**
 * Stand-ins for what the collector talks to, for your own tests and demos (the collector's own
 * tests, `simulate` and the demo use them): the PoD Log API websocket, the CASB REST API, a
 * Devo-compatible mutual-TLS relay, and throwaway certificates for it (these need the
 * `node-forge` dependency, loaded only when called).
 *
 * @example
 * import { PodSimulator, DevoReceiver, createThrowawayPki } from 'proofpoint-devo-collector/simulators';
 *
 * const pod = await PodSimulator.start({ token: 'test-token', clusterId: 'acme', rate: 100 });
 * const pki = await createThrowawayPki();
 * const relay = await DevoReceiver.start({ ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key, onLine: console.log });
 * // point a collector at pod.url and 127.0.0.1:relay.port; then:
 * await pod.stop();
 * await relay.stop();
 *
 * @packageDocumentation
 */
export { PodSimulator, type PodSimulatorOptions, type PodSimulatorStats } from '../simulators/podSimulator';
export { CasbSimulator, type CasbSimulatorOptions } from '../simulators/casbSimulator';
export { DevoReceiver, type DevoReceiverOptions, type DevoReceiverStats } from '../simulators/devoReceiver';
export type { PemPair, ThrowawayPki } from '../simulators/throwawayPki';

/** A CA, a relay (server) certificate for `hosts` and a client certificate, made now: see `throwawayPki`. */
export async function createThrowawayPki(hosts?: readonly string[]): Promise<import('../simulators/throwawayPki').ThrowawayPki> {
  // Loaded on call: node-forge is needed by nothing else.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose
  const pki = require('../simulators/throwawayPki') as typeof import('../simulators/throwawayPki');
  return pki.createThrowawayPki(hosts);
}
