import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../errors/collectorError';
import type { FileSetting, OutputConfig } from './collectorConfig';

/**
 * The PEM files of an output, read and checked: all three for a Devo output; the chain, and the
 * certificate and key when given, for a syslog output over TLS; none for a plain syslog or a
 * console output.
 */
export interface DevoCredentials {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Expiry of the client certificate, when there is one. */
  readonly certValidTo?: Date;
}

/** The certificate files of an output, as {@link loadDevoCredentials} reads them. */
interface TlsFiles {
  readonly name: string;
  readonly chain: FileSetting;
  readonly cert?: FileSetting;
  readonly key?: FileSetting;
  readonly keyPassphrase?: string;
}

/** The private key file of an output, if it has one (for the file mode warning). */
export function outputKey(output: OutputConfig): FileSetting | undefined {
  return output.kind === 'console' ? undefined : output.key;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

async function readSetting(file: FileSetting, problems: string[]): Promise<Buffer | undefined> {
  try {
    return await readFile(file.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      problems.push(`${file.setting}: file not found: ${file.path} (put Devo's X.509 files in certs/, or give an absolute path)`);
    } else {
      problems.push(`${file.setting}: cannot read ${file.path}: ${errorMessage(err)}`);
    }
    return undefined;
  }
}

function parseCertificates(pem: Buffer, file: FileSetting, problems: string[]): X509Certificate[] {
  const blocks = pem.toString('utf8').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    problems.push(`${file.setting}: expected PEM certificates (-----BEGIN CERTIFICATE-----) in ${file.path}, found none`);
    return [];
  }
  const certs: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      certs.push(new X509Certificate(block));
    } catch (err) {
      problems.push(`${file.setting}: a certificate in ${file.path} cannot be parsed: ${errorMessage(err)}`);
    }
  }
  return certs;
}

/** PKCS#8 `ENCRYPTED PRIVATE KEY`, or the traditional form's `Proc-Type: 4,ENCRYPTED`. */
const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type:\s*4,ENCRYPTED/m;

/** Why a key cannot be opened, naming key_passphrase when that is the setting to change (not OpenSSL's words). */
function keyProblem(output: TlsFiles & { readonly key: FileSetting }, key: Buffer, err: unknown): string {
  const passphrase = `outputs.${output.name}.config.key_passphrase`;
  const code = (err as { code?: unknown }).code;
  const encrypted = ENCRYPTED_PEM.test(key.toString('latin1')) || code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED' || code === 'ERR_MISSING_PASSPHRASE';
  if (encrypted && output.keyPassphrase === undefined) {
    return `${passphrase}: the key in ${output.key.path} (${output.key.setting}) is encrypted: set key_passphrase (a \${NAME} reference keeps it out of the file)`;
  }
  if (encrypted || code === 'ERR_OSSL_BAD_DECRYPT')
    return `${passphrase}: does not open the encrypted key in ${output.key.path} (${output.key.setting}): correct it`;
  return `${output.key.setting}: ${output.key.path} is not a usable PEM private key (${errorMessage(err)})`;
}

/**
 * Reads the chain, certificate and key of an output and checks them: files present and
 * readable, PEM certificates that parse, a client certificate valid now, a usable private key
 * (with `key_passphrase` when it is encrypted) that belongs to the certificate. Every problem
 * names its setting; the key's content is never printed. An output without TLS (a plain syslog
 * output, a console output) has nothing to read: empty credentials.
 */
export async function loadDevoCredentials(output: OutputConfig, now = Date.now()): Promise<{ credentials?: DevoCredentials; problems: string[] }> {
  if (output.kind === 'console' || output.chain === undefined) return { credentials: {}, problems: [] };
  return loadTlsFiles({ ...output, chain: output.chain }, now);
}

/**
 * {@link loadDevoCredentials} of every output, in order: the credentials of each (all or none),
 * and every output's problems.
 */
export async function loadOutputCredentials(
  outputs: readonly OutputConfig[],
  now = Date.now(),
): Promise<{ credentials?: DevoCredentials[]; problems: string[] }> {
  const loaded = await Promise.all(outputs.map((o) => loadDevoCredentials(o, now)));
  const problems = loaded.flatMap((l) => l.problems);
  const credentials = loaded.map((l) => l.credentials);
  if (problems.length > 0 || credentials.some((c) => c === undefined)) return { problems };
  return { credentials: credentials as DevoCredentials[], problems };
}

async function loadTlsFiles(output: TlsFiles, now: number): Promise<{ credentials?: DevoCredentials; problems: string[] }> {
  const problems: string[] = [];
  const [ca, cert, key] = await Promise.all([
    readSetting(output.chain, problems),
    output.cert === undefined ? undefined : readSetting(output.cert, problems),
    output.key === undefined ? undefined : readSetting(output.key, problems),
  ]);
  if (ca !== undefined) parseCertificates(ca, output.chain, problems);
  let client: X509Certificate | undefined;
  if (cert !== undefined && output.cert !== undefined) {
    client = parseCertificates(cert, output.cert, problems)[0];
    if (client !== undefined) {
      const from = new Date(client.validFrom);
      const to = new Date(client.validTo);
      if (to.getTime() < now) problems.push(`${output.cert.setting}: the certificate in ${output.cert.path} expired on ${to.toISOString()}`);
      if (from.getTime() > now) problems.push(`${output.cert.setting}: the certificate in ${output.cert.path} is not valid before ${from.toISOString()}`);
    }
  }
  let privateKey: KeyObject | undefined;
  if (key !== undefined && output.key !== undefined) {
    try {
      privateKey = createPrivateKey({ key, ...(output.keyPassphrase === undefined ? {} : { passphrase: output.keyPassphrase }) });
    } catch (err) {
      problems.push(keyProblem({ ...output, key: output.key }, key, err));
    }
  }
  if (client !== undefined && privateKey !== undefined && output.cert !== undefined && output.key !== undefined && !client.checkPrivateKey(privateKey)) {
    problems.push(`${output.key.setting}: the key in ${output.key.path} does not belong to the certificate in ${output.cert.setting} (${output.cert.path})`);
  }
  const wantsClient = output.cert !== undefined;
  if (problems.length > 0 || ca === undefined || (wantsClient && (cert === undefined || key === undefined || client === undefined))) return { problems };
  if (cert === undefined || key === undefined || client === undefined) return { credentials: { ca }, problems };
  return { credentials: { ca, cert, key, certValidTo: new Date(client.validTo) }, problems };
}
