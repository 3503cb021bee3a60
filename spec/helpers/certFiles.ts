import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ThrowawayPki } from '../../lib/simulators/throwawayPki';

/** Writes a PKI's chain and client files as a user drops Devo's files in certs/. */
export async function writeCertFiles(certsDir: string, pki: ThrowawayPki): Promise<void> {
  await mkdir(certsDir, { recursive: true });
  await writeFile(path.join(certsDir, 'chain.crt'), pki.ca.cert);
  await writeFile(path.join(certsDir, 'client.crt'), pki.client.cert);
  await writeFile(path.join(certsDir, 'client.key'), pki.client.key, { mode: 0o600 });
}
