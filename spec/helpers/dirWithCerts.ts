import * as path from 'node:path';
import { writeCertFiles } from './certFiles';
import { sharedPki } from './pki';
import { tempDir } from './tempDir';

/** A test's directory, with the shared PKI's certificates under `certs/` (see {@link dirWithCerts}). */
export interface DirWithCerts {
  /** This test's directory (only inside a test or its hooks). */
  readonly dir: string;
}

/** Registers, in the calling `describe`, a fresh temporary directory with the certificates before each test, removed after it. */
export function dirWithCerts(): DirWithCerts {
  let current: { dir: string; remove: () => Promise<void> } | undefined;
  beforeEach(async () => {
    current = await tempDir();
    await writeCertFiles(path.join(current.dir, 'certs'), await sharedPki());
  });
  afterEach(async () => {
    const remove = current?.remove;
    current = undefined;
    await remove?.();
  });
  return {
    get dir() {
      if (current === undefined) throw new Error('dirWithCerts: there is a directory only inside a test');
      return current.dir;
    },
  };
}
