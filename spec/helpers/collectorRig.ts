import * as path from 'node:path';
import { PodSimulator } from '../../lib/simulators/podSimulator';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';
import { writeCertFiles } from './certFiles';
import { fixturePod, lineKey, SECRET_ENV } from './collectorFixture';
import { CollectorProcess } from './collectorProcess';
import { sharedPki } from './pki';
import { RelayLog } from './relayLog';
import { tempDir } from './tempDir';

/** What a real collector process runs against in a reliability spec (see {@link collectorRig}). */
export interface CollectorRig {
  /** The shared throwaway PKI. */
  readonly pki: ThrowawayPki;
  /** This test's directory, the certificates under `certs/` (write `config.yaml` there with `writeCollectorConfig`). */
  readonly dir: string;
  /** This test's PoD simulator (token `SECRETS.podToken`, cluster `acme`, message and maillog). */
  readonly pod: PodSimulator;
  /** This test's mutual-TLS relay, keeping the lines by `lineKey`. */
  readonly relay: RelayLog;
  /** Starts `run --config config.yaml` (then `args`) in `cwd` (default {@link dir}) with the secrets in its environment; disposed after the test. */
  readonly start: (options?: { readonly args?: readonly string[]; readonly cwd?: string }) => CollectorProcess;
}

/**
 * Registers, in the calling `describe`, the hooks of a spec on a real collector process: before each test a temporary
 * directory with the certificates, a relay and a PoD simulator sending `pod.total` events at `pod.rate` a second;
 * after each, the processes started disposed, the simulator and the relay stopped, the directory removed.
 */
export function collectorRig(pod: { readonly rate: number; readonly total: number }): CollectorRig {
  let pki: ThrowawayPki | undefined;
  let test: { dir: string; remove: () => Promise<void>; pod: PodSimulator; relay: RelayLog } | undefined;
  const processes: CollectorProcess[] = [];
  const current = () => {
    if (test === undefined) throw new Error('collectorRig: there is a rig only inside a test');
    return test;
  };
  before(async () => {
    pki = await sharedPki();
  });
  beforeEach(async () => {
    const { dir, remove } = await tempDir();
    await writeCertFiles(path.join(dir, 'certs'), pki!);
    const relay = await RelayLog.start(pki!, lineKey);
    const simulator = await fixturePod({ ...pod });
    test = { dir, remove, pod: simulator, relay };
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.dispose();
    const { pod: simulator, relay, remove } = current();
    test = undefined;
    await simulator.stop();
    await relay.stop();
    await remove();
  });
  return {
    get pki() {
      return pki!;
    },
    get dir() {
      return current().dir;
    },
    get pod() {
      return current().pod;
    },
    get relay() {
      return current().relay;
    },
    start: ({ args = [], cwd } = {}) => {
      const p = new CollectorProcess(['run', '--config', 'config.yaml', ...args], { cwd: cwd ?? current().dir, env: SECRET_ENV });
      processes.push(p);
      return p;
    },
  };
}
