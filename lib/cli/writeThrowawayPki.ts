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

/** The file names of a throwaway PKI in its directory. */
export const PKI_FILE_NAMES = {
  chain: 'chain.crt',
  clientCert: 'client.crt',
  clientKey: 'client.key',
  serverCert: 'server.crt',
  serverKey: 'server.key',
} as const;

/** Creates a throwaway CA with server and client certificates and writes them to `dir` (keys 0600). */
export async function writeThrowawayPki(dir: string): Promise<ThrowawayPkiFiles> {
  const pki = await createThrowawayPki();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files = {
    chain: path.join(dir, PKI_FILE_NAMES.chain),
    clientCert: path.join(dir, PKI_FILE_NAMES.clientCert),
    clientKey: path.join(dir, PKI_FILE_NAMES.clientKey),
    serverCert: path.join(dir, PKI_FILE_NAMES.serverCert),
    serverKey: path.join(dir, PKI_FILE_NAMES.serverKey),
  };
  await writeFile(files.chain, pki.ca.cert, { mode: 0o644 });
  await writeFile(files.clientCert, pki.client.cert, { mode: 0o644 });
  await writeFile(files.clientKey, pki.client.key, { mode: 0o600 });
  await writeFile(files.serverCert, pki.server.cert, { mode: 0o644 });
  await writeFile(files.serverKey, pki.server.key, { mode: 0o600 });
  return { pki, ...files };
}
