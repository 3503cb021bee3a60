import { X509Certificate } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { errorMessage } from '../errors/collectorError';
import { UsageError } from './usageError';
import { PKI_FILE_NAMES, writeThrowawayPki } from './writeThrowawayPki';

/** The PEM files a `simulate devo` receiver runs with, and what it says about where they came from. */
export interface ReceiverPki {
  /** The CA whose client certificates are accepted. */
  readonly ca: string;
  /** The receiver's certificate and key. */
  readonly cert: string;
  readonly key: string;
  /** Lines for the user: which files, kept or written, and the collector's files. */
  readonly lines: readonly string[];
}

/** The flags of `simulate devo` that choose the files. */
export interface ReceiverPkiFlags {
  readonly pki?: string | undefined;
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

async function readFlag(flag: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--${flag}: cannot read ${file}: ${errorMessage(err)}`);
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** A warning when the receiver's certificate is not valid now (a kept throwaway one is valid 30 days). */
function validityWarning(pem: string, file: string, remedy: string, now: number): string[] {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    throw new UsageError(`${file} is not a PEM certificate: ${errorMessage(err)}`);
  }
  const to = new Date(cert.validTo);
  return to.getTime() < now ? [`Warning: the receiver's certificate ${file} expired on ${to.toISOString()}: collectors will refuse it; ${remedy}`] : [];
}

/**
 * Chooses the receiver's files: the user's own (`--ca`, `--cert`, `--key`, all three), else the
 * throwaway PKI in `--pki DIR` (default `demo/certs`), kept when DIR holds one, so a collector
 * configured with its client files goes on connecting, and written only when DIR holds none of its
 * files. A DIR with some of them only is refused rather than overwritten.
 *
 * @throws UsageError naming the flag or the file when the files cannot be used
 *
 * @example
 * const { ca, cert, key, lines } = await receiverPki({ pki: 'demo/certs' });
 */
export async function receiverPki(flags: ReceiverPkiFlags, now = Date.now()): Promise<ReceiverPki> {
  const own = (['ca', 'cert', 'key'] as const).filter((flag) => flags[flag] !== undefined);
  if (own.length > 0) {
    if (flags.pki !== undefined)
      throw new UsageError('--pki DIR and --ca/--cert/--key exclude each other: give the directory of a throwaway PKI, or your own three files');
    const missing = (['ca', 'cert', 'key'] as const).filter((flag) => flags[flag] === undefined);
    if (missing.length > 0) throw new UsageError(`--ca, --cert and --key go together: ${missing.map((f) => `--${f}`).join(' and ')} missing`);
    const [ca, cert, key] = [path.resolve(flags.ca!), path.resolve(flags.cert!), path.resolve(flags.key!)];
    const pem = { ca: await readFlag('ca', ca), cert: await readFlag('cert', cert), key: await readFlag('key', key) };
    return {
      ...pem,
      lines: [
        `Using your files: clients signed by ${ca} are accepted; the receiver presents ${cert} (key ${key})`,
        ...validityWarning(pem.cert, cert, 'renew it', now),
      ],
    };
  }
  const dir = path.resolve(flags.pki ?? path.join('demo', 'certs'));
  const files = Object.fromEntries(Object.entries(PKI_FILE_NAMES).map(([name, file]) => [name, path.join(dir, file)])) as Record<
    keyof typeof PKI_FILE_NAMES,
    string
  >;
  const present = await Promise.all(Object.values(files).map(exists));
  const clientFiles = `chain ${files.chain}, cert ${files.clientCert}, key ${files.clientKey}`;
  if (present.every((p) => !p)) {
    const written = await writeThrowawayPki(dir);
    return {
      ca: written.pki.ca.cert,
      cert: written.pki.server.cert,
      key: written.pki.server.key,
      lines: [`Wrote a new throwaway PKI to ${dir} (valid 30 days; kept at the next start)`, `Client files for the collector: ${clientFiles}`],
    };
  }
  if (!present.every((p) => p)) {
    const absent = Object.values(files).filter((_, i) => !present[i]);
    throw new UsageError(
      `--pki ${dir} holds part of a PKI only (missing ${absent.join(', ')}): restore them, or empty the directory to get a new one (collectors configured with the old files then need the new ones)`,
    );
  }
  const pem = { ca: await readFlag('pki', files.chain), cert: await readFlag('pki', files.serverCert), key: await readFlag('pki', files.serverKey) };
  return {
    ...pem,
    lines: [
      `Kept the PKI already in ${dir} (not overwritten)`,
      `Client files for the collector: ${clientFiles}`,
      ...validityWarning(pem.cert, files.serverCert, `empty ${dir} to get a new PKI`, now),
    ],
  };
}
