import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createThrowawayPki, type ThrowawayPki } from '../simulators/throwawayPki';

/** Files written by {@link writeThrowawayPki}. */
export interface ThrowawayPkiFiles {
  readonly pki: ThrowawayPki;
  /** CA chain (`chain` setting). */
  readonly chain: string;
  /** Client certificate and key (`cert`, `key` settings). */
  readonly clientCert: string;
  readonly clientKey: string;
  /** The receiver's certificate and key. */
  readonly serverCert: string;
  readonly serverKey: string;
}

/** Creates a throwaway CA with server and client certificates and writes them to `dir` (keys 0600). */
export async function writeThrowawayPki(dir: string): Promise<ThrowawayPkiFiles> {
  const pki = await createThrowawayPki();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files = {
    chain: path.join(dir, 'chain.crt'),
    clientCert: path.join(dir, 'client.crt'),
    clientKey: path.join(dir, 'client.key'),
    serverCert: path.join(dir, 'server.crt'),
    serverKey: path.join(dir, 'server.key'),
  };
  await writeFile(files.chain, pki.ca.cert, { mode: 0o644 });
  await writeFile(files.clientCert, pki.client.cert, { mode: 0o644 });
  await writeFile(files.clientKey, pki.client.key, { mode: 0o600 });
  await writeFile(files.serverCert, pki.server.cert, { mode: 0o644 });
  await writeFile(files.serverKey, pki.server.key, { mode: 0o600 });
  return { pki, ...files };
}
