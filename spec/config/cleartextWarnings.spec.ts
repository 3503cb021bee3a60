import { expect } from 'chai';
import { cleartextWarnings } from '../../lib/config/cleartextWarnings';
import type { CollectorConfig } from '../../lib/config/collectorConfig';
import { decodeConfig } from '../../lib/config/loadConfig';
import { createLogger } from '../../lib/log/logger';

const SECRETS = ['pod-token-SECRET-1', 'casb-key-SECRET-2', 'casb-secret-SECRET-3'];

function config(urls: { pod?: string; message?: string; casb?: string; casbEnabled?: boolean }): CollectorConfig {
  return decodeConfig({
    globals: { id: '1', name: 'cleartext' },
    outputs: { devo_1: { type: 'devo_platform', config: { address: 'localhost', port: 6514, type: 'SSL', chain: 'c.crt', cert: 'x.crt', key: 'x.key' } } },
    inputs: {
      proofpoint_on_demand: {
        id: '7',
        credentials: { cluster_id: 'acme', api_token: SECRETS[0] },
        ...(urls.pod === undefined ? {} : { override_url_base: urls.pod }),
        services: { message: urls.message === undefined ? {} : { override_url_base: urls.message }, maillog: {} },
      },
      proofpoint_casb: {
        id: '3',
        enabled: urls.casbEnabled ?? true,
        credentials: { api_key: SECRETS[1], client_id: 'c', client_secret: SECRETS[2] },
        ...(urls.casb === undefined ? {} : { override_url_base: urls.casb }),
        services: { alerts: {} },
      },
    },
  });
}

function warningsOf(c: CollectorConfig): { returned: readonly string[]; lines: string[] } {
  const lines: string[] = [];
  const returned = cleartextWarnings(c, createLogger({ write: (l) => lines.push(l) }));
  return { returned, lines };
}

describe('cleartextWarnings', () => {
  it('warns for a ws:// PoD base URL, naming each service setting (or the input one)', () => {
    const { lines } = warningsOf(config({ pod: 'ws://pod.example.com:8080' }));
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(
      /WARNING .*inputs\.proofpoint_on_demand\.services\.message\.override_url_base \(or inputs\.proofpoint_on_demand\.override_url_base\) is ws:\/\/pod\.example\.com:8080, not wss:\/\/: the PoD api_token and every event cross the network in clear text/,
    );
    expect(lines[1]).to.include('inputs.proofpoint_on_demand.services.maillog.override_url_base');
  });

  it('warns for an http:// CASB base URL, naming inputs.proofpoint_casb.override_url_base', () => {
    const { lines } = warningsOf(config({ casb: 'http://10.1.2.3:8080/api' }));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(
      /WARNING .*inputs\.proofpoint_casb\.override_url_base is http:\/\/10\.1\.2\.3:8080, not https:\/\/: the CASB api_key, client_secret and auth token, and every record, cross the network in clear text/,
    );
  });

  it('says nothing for wss:// and https://, nor for loopback hosts (127.0.0.0/8, ::1, localhost)', () => {
    expect(warningsOf(config({})).lines).to.deep.equal([]);
    expect(warningsOf(config({ pod: 'wss://pod.example.com', casb: 'https://casb.example.com' })).lines).to.deep.equal([]);
    for (const host of ['127.0.0.1:8080', '127.9.8.7', 'localhost:1', '[::1]:9', '[::ffff:127.0.0.1]']) {
      expect(warningsOf(config({ pod: `ws://${host}`, casb: `http://${host}` })).lines, host).to.deep.equal([]);
    }
  });

  it('looks at each PoD service (its own override wins) and not at a disabled input', () => {
    const { lines } = warningsOf(config({ message: 'ws://192.0.2.10', casb: 'http://casb.example.com', casbEnabled: false }));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include('services.message.override_url_base').and.include('ws://192.0.2.10');
  });

  it('never prints credentials of the URL or secrets', () => {
    const { returned, lines } = warningsOf(config({ pod: 'ws://user:pw-SECRET@pod.example.com', casb: 'http://user:pw-SECRET@casb.example.com' }));
    expect(returned).to.have.length(3);
    expect(lines.join('\n')).not.to.include('pw-SECRET');
    for (const secret of SECRETS) expect(lines.join('\n')).not.to.include(secret);
  });
});
