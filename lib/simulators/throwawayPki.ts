import { generateKeyPair, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

/** A PEM certificate and its PEM (PKCS#8) private key. */
export interface PemPair {
  readonly cert: string;
  readonly key: string;
}

/** A CA with a server and a client certificate it signed: what a Devo relay and a domain use. */
export interface ThrowawayPki {
  readonly ca: PemPair;
  readonly server: PemPair;
  readonly client: PemPair;
}

/** Options of {@link issueCertificate}. */
export interface IssueOptions {
  readonly commonName: string;
  /** Host names and IP addresses the certificate is valid for (server certificates). */
  readonly hosts?: readonly string[];
  readonly usage: 'server' | 'client';
  /** Validity in days from now (negative: already expired). Default 30. */
  readonly days?: number;
}

const generateRsa = promisify(generateKeyPair);

async function newKeys(): Promise<{ publicKey: string; privateKey: string }> {
  return generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

function baseCertificate(publicKeyPem: string, commonName: string, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  const now = Date.now();
  cert.validity.notBefore = new Date(Math.min(now - 60_000, now + days * 86_400_000 - 86_400_000));
  cert.validity.notAfter = new Date(now + days * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  return cert;
}

/**
 * Creates a self-signed CA (RSA 2048, SHA-256) for tests and the demo. Keys come from Node's
 * crypto; node-forge only assembles and signs the X.509 structures. Never for production.
 */
export async function createCertificateAuthority(commonName = 'proofpoint-devo-collector throwaway CA'): Promise<PemPair> {
  const keys = await newKeys();
  const cert = baseCertificate(keys.publicKey, commonName, 30);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKey), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.privateKey };
}

/** Issues a server or client certificate signed by `ca`. */
export async function issueCertificate(ca: PemPair, options: IssueOptions): Promise<PemPair> {
  const keys = await newKeys();
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const cert = baseCertificate(keys.publicKey, options.commonName, options.days ?? 30);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = (options.hosts ?? []).map((h) => (isIP(h) === 0 ? { type: 2, value: h } : { type: 7, ip: h }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: options.usage === 'server', clientAuth: options.usage === 'client' },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.key), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.privateKey };
}

/**
 * A CA, a server certificate for `hosts` (default `localhost` and `127.0.0.1`) and a client
 * certificate, all signed by the CA: the demo's and the tests' stand-ins for Devo's X.509 files.
 */
export async function createThrowawayPki(hosts: readonly string[] = ['localhost', '127.0.0.1']): Promise<ThrowawayPki> {
  const ca = await createCertificateAuthority();
  const [server, client] = await Promise.all([
    issueCertificate(ca, { commonName: hosts[0] ?? 'localhost', hosts, usage: 'server' }),
    issueCertificate(ca, { commonName: 'proofpoint-devo-collector client', usage: 'client' }),
  ]);
  return { ca, server, client };
}
