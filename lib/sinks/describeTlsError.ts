import { CollectorError, errorMessage } from '../errors/collectorError';

/** The settings behind a Devo connection, named in its error messages. */
export interface DevoSettingNames {
  /** e.g. `outputs.devo_1.config.address (collector-us.devo.io:443)` */
  readonly address: string;
  /** e.g. `outputs.devo_1.config.chain (/app/certs/chain.crt)` */
  readonly chain: string;
  /** e.g. `outputs.devo_1.config.cert (/app/certs/domain.crt)` */
  readonly cert: string;
  /** e.g. `outputs.devo_1.config.key (/app/certs/domain.key)` */
  readonly key: string;
  /** e.g. `outputs.relay_1.type (syslog)`: named when the port and the type do not match. */
  readonly type?: string;
}

const SERVER_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'INVALID_CA',
]);

/** OpenSSL's words for a peer that answered the handshake with something other than TLS. */
const NOT_TLS = /wrong version number|packet length too long|unknown protocol|http request|record layer failure/i;

const CLIENT_CERT_ALERT =
  /ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED|DECRYPT_ERROR)/;

/**
 * Maps a socket or TLS error of a Devo connection to a {@link CollectorError} whose message
 * names the setting to check: the chain for an untrusted server, the address for a host name
 * mismatch, the client certificate and key for a rejected client certificate, the output's type
 * for a port that does not speak TLS (`DEVO_PORT_NOT_TLS`).
 */
export function describeTlsError(err: unknown, settings: DevoSettingNames): CollectorError {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const detail = errorMessage(err);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new CollectorError(
      'DEVO_TLS_HOSTNAME_MISMATCH',
      `The Devo endpoint's certificate does not match the host name in ${settings.address}: ${detail}. Check the address (collector-us.devo.io, collector-eu.devo.io, ...).`,
      { cause: err },
    );
  }
  if (SERVER_UNTRUSTED.has(code)) {
    return new CollectorError(
      'DEVO_TLS_SERVER_UNTRUSTED',
      `The Devo endpoint's certificate is not trusted by the CA chain in ${settings.chain}: ${detail} (${code}). Download the chain again from Devo (Administration → Credentials → X.509). Replacing the files is enough: they are read again at the next connection attempt, without a restart.`,
      { cause: err },
    );
  }
  if (CLIENT_CERT_ALERT.test(code) || CLIENT_CERT_ALERT.test(detail.toUpperCase().replace(/ /g, '_'))) {
    return new CollectorError(
      'DEVO_TLS_CLIENT_CERT_REJECTED',
      `The Devo endpoint rejected the client certificate in ${settings.cert} with the key in ${settings.key}: ${detail}. Download the domain's certificate and key again from Devo (Administration → Credentials → X.509). Replacing the files is enough: they are read again at the next connection attempt, without a restart.`,
      { cause: err },
    );
  }
  if (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || NOT_TLS.test(detail)) {
    return new CollectorError(
      'DEVO_PORT_NOT_TLS',
      `The port in ${settings.address} does not speak TLS (${/SSL routines:[^:]*:([^:]+):/.exec(detail)?.[1] ?? detail.trim()}): it answered the TLS handshake with something else. For a plain syslog relay (a Devo In-House Relay's 13000, rsyslog imtcp) use type syslog without chain${settings.type === undefined ? '' : ` (${settings.type})`}; for Devo, check the address and port.`,
      { cause: err },
    );
  }
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /SSL|TLS/.test(detail)) {
    return new CollectorError('DEVO_TLS_HANDSHAKE_FAILED', `TLS with the Devo endpoint at ${settings.address} failed: ${detail}`, {
      cause: err,
    });
  }
  return new CollectorError('DEVO_CONNECT_FAILED', `Cannot reach the Devo endpoint at ${settings.address}: ${detail}`, {
    cause: err,
  });
}
