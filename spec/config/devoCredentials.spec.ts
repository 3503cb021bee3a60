import { expect } from 'chai';
import { createPrivateKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ConfigError } from '../../lib/config/configError';
import { loadConfig } from '../../lib/config/loadConfig';
import { sharedPki } from '../helpers/pki';
import { dirWithCerts } from '../helpers/dirWithCerts';

const CONFIG = (passphrase: string) => `
globals: { id: "1", name: demo }
outputs:
  devo_1: { type: devo_platform, config: { address: localhost, port: 6514, type: SSL, chain: chain.crt, cert: client.crt, key: client.key${passphrase} } }
inputs: {}
`;

describe('loadDevoCredentials (through loadConfig): an encrypted key', () => {
  const work = dirWithCerts();
  let keyFile: string;

  beforeEach(() => {
    keyFile = path.join(work.dir, 'certs', 'client.key');
  });

  async function problems(passphrase: string): Promise<readonly string[]> {
    const file = path.join(work.dir, 'config.yaml');
    await writeFile(file, CONFIG(passphrase));
    try {
      await loadConfig(file, { baseDir: work.dir });
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  }

  // PKCS#8 (BEGIN ENCRYPTED PRIVATE KEY) and the traditional form (Proc-Type: 4,ENCRYPTED).
  for (const type of ['pkcs8', 'pkcs1'] as const) {
    it(`${type}: without key_passphrase, names the setting to set instead of OpenSSL's "interrupted or cancelled"`, async () => {
      const pem = createPrivateKey((await sharedPki()).client.key).export({ type, format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw-123456' });
      await writeFile(keyFile, pem, { mode: 0o600 });
      expect(await problems('')).to.deep.equal([
        `outputs.devo_1.config.key_passphrase: the key in ${keyFile} (outputs.devo_1.config.key) is encrypted: set key_passphrase (a \${NAME} reference keeps it out of the file)`,
      ]);
      expect(await problems(', key_passphrase: wrong-654321')).to.deep.equal([
        `outputs.devo_1.config.key_passphrase: does not open the encrypted key in ${keyFile} (outputs.devo_1.config.key): correct it`,
      ]);
      expect(await problems(', key_passphrase: pw-123456')).to.deep.equal([]);
    });
  }
});
