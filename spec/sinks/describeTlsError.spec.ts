import { expect } from 'chai';
import { describeTlsError } from '../../lib/sinks/describeTlsError';

const settings = { address: 'address (relay:443)', chain: 'chain (/c/chain.crt)', cert: 'cert (/c/client.crt)', key: 'key (/c/client.key)' };

/** An error as Node's TLS layer raises it. */
const tlsError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('describeTlsError', () => {
  it('names the client certificate only for a real rejection alert from the relay', () => {
    for (const [code, message] of [
      ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'error:0A000412:SSL routines::sslv3 alert bad certificate'],
      ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'error:0A00045C:SSL routines::tlsv13 alert certificate required'],
      ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'error:0A000418:SSL routines::tlsv1 alert unknown ca'],
    ] as const) {
      const described = describeTlsError(tlsError(code, message), settings);
      expect(described.code, code).to.equal('DEVO_TLS_CLIENT_CERT_REJECTED');
      expect(described.message).to.include('cert (/c/client.crt)');
    }
  });

  it('does not call a reset or an EOF a rejected certificate', () => {
    expect(describeTlsError(tlsError('ECONNRESET', 'read ECONNRESET'), settings).code).to.equal('DEVO_CONNECT_FAILED');
    expect(describeTlsError(tlsError('EPIPE', 'write EPIPE'), settings).code).to.equal('DEVO_CONNECT_FAILED');
  });
});
