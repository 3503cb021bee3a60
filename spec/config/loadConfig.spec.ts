import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ConfigError } from '../../lib/config/configError';
import { decodeConfig, loadConfig } from '../../lib/config/loadConfig';
import { CollectorError } from '../../lib/errors/collectorError';
import { issueCertificate } from '../../lib/simulators/throwawayPki';
import { writeCertFiles } from '../helpers/certFiles';
import { sharedPki } from '../helpers/pki';
import { tempDir } from '../helpers/tempDir';

const VALID = `
globals:
  id: "1"
  name: pp_coll
outputs:
  devo_1:
    type: devo_platform
    config: { address: localhost, port: 6514, type: SSL, chain: chain.crt, cert: client.crt, key: client.key }
inputs:
  proofpoint_on_demand:
    id: 12345
    credentials: { cluster_id: acme_hosted, api_token: "\${POD_TOKEN}" }
    services:
      message: {}
      maillog: { period_in_seconds: 30, override_tag_base: my.pod.maillog, start_time: "2024-05-22T12:00:00-07:00" }
  proofpoint_casb:
    id: "12346"
    enabled: false
    credentials: { api_key: k-123456, client_id: cid, client_secret: "s3cr3t-value" }
    services:
      alerts: { initial_start_time_in_utc: "2024-01-01T00:00:00Z" }
`;

async function problemsOf(run: () => unknown): Promise<readonly string[]> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  let dir: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    await writeCertFiles(path.join(dir, 'certs'), await sharedPki());
  });
  afterEach(() => remove());

  async function write(text: string): Promise<string> {
    const file = path.join(dir, 'config.yaml');
    await writeFile(file, text);
    return file;
  }

  it('loads a valid file with defaults applied and relative paths resolved', async () => {
    const file = await write(VALID);
    const config = await loadConfig(file, { env: { POD_TOKEN: 'tok-abcdef' }, baseDir: dir });
    expect(config.collector).to.deep.equal({ id: '1', name: 'pp_coll', debug: false, multiprocessing: false });
    expect(config.stateDirectory).to.equal(path.join(dir, 'state'));
    expect(config.output.chain).to.deep.equal({ path: path.join(dir, 'certs', 'chain.crt'), setting: 'outputs.devo_1.config.chain' });
    expect(config.output.batch).to.deep.equal({ maxEvents: 1000, maxBytes: 1048576, maxDelayMs: 250 });
    expect(config.output.idleTimeoutMs).to.equal(25_000);
    expect(config.pod).to.deep.equal({
      inputId: '12345',
      enabled: true,
      clusterId: 'acme_hosted',
      apiToken: 'tok-abcdef',
      services: [
        { name: 'message', periodMs: 60_000, tag: 'mail.proofpoint.pod.message', urlBase: 'wss://logstream.proofpoint.com:443', dedupMaxBytes: 256 * 1024 * 1024 },
        {
          name: 'maillog',
          periodMs: 30_000,
          tag: 'my.pod.maillog',
          urlBase: 'wss://logstream.proofpoint.com:443',
          dedupMaxBytes: 256 * 1024 * 1024,
          startTime: Date.UTC(2024, 4, 22, 19),
        },
      ],
    });
    expect(config.casb?.enabled).to.equal(false);
    expect(config.casb?.services).to.deep.equal([
      { name: 'alerts', requestPeriodMs: 600_000, tag: 'casb.proofpoint.alert', dedupMaxBytes: 256 * 1024 * 1024, initialStartTime: Date.UTC(2024, 0, 1) },
    ]);
  });

  it('validates the shipped example once its certificates and variables exist', async () => {
    const example = await readFile(path.join(__dirname, '..', '..', '..', 'config', 'config.example.yaml'), 'utf8');
    const file = await write(example.replace('chain.crt', 'chain.crt').replace('my_domain.crt', 'client.crt').replace('my_domain.key', 'client.key'));
    const env = { POD_CLUSTER_ID: 'c', POD_API_TOKEN: 't-123456', CASB_API_KEY: 'k-123456', CASB_CLIENT_ID: 'i', CASB_CLIENT_SECRET: 's-123456' };
    const config = await loadConfig(file, { env, baseDir: dir });
    expect(config.pod?.services.map((s) => s.name)).to.deep.equal(['message', 'maillog']);
    expect(config.casb?.services.map((s) => s.name)).to.deep.equal(['alerts', 'events']);
  });

  it('reports every problem at once, one line each, with path, expectation and what was found', async () => {
    const file = await write(`
globals:
  id: "toolong"
  name: pp
  debgu: true
outputs:
  devo_1:
    type: devo_platform
    config: { address: localhost, port: 99999, type: TCP, chain: chain.crt, cert: client.crt }
inputs:
  proofpoint_casb:
    id: "1"
    credentials: { api_key: "k-123456", client_id: cid, client_secret: 42 }
    services:
      alerts: { request_period_in_seconds: ten, initial_start_time_in_utc: "yesterday" }
      evnets: {}
`);
    const problems = await problemsOf(() => loadConfig(file, { baseDir: dir }));
    expect(problems).to.deep.equal([
      'globals.id: expected a string of 1-5 characters, got "toolong"',
      'globals.debgu: unknown setting (did you mean "debug"?)',
      'outputs.devo_1.config.port: expected a port number (1-65535), got 99999',
      'outputs.devo_1.config.type: expected "SSL", got "TCP"',
      'outputs.devo_1.config.key: expected a non-empty string, got nothing (the setting is missing)',
      'inputs.proofpoint_casb.credentials.client_secret: expected a non-empty string (secret), got a number',
      'inputs.proofpoint_casb.services.alerts.request_period_in_seconds: expected a positive integer, got "ten"',
      'inputs.proofpoint_casb.services.alerts.initial_start_time_in_utc: expected an ISO-8601 date-time such as 2024-01-01T00:00:00Z, got "yesterday"',
      'inputs.proofpoint_casb.services.evnets: unknown setting (did you mean "events"?)',
    ]);
  });

  it('substitutes ${ENV} and reports each undefined variable with its path', async () => {
    const file = await write(VALID.replace('cluster_id: acme_hosted', 'cluster_id: "${CID}-x"'));
    const config = await loadConfig(file, { env: { POD_TOKEN: 'tok-abcdef', CID: 'acme' }, baseDir: dir });
    expect(config.pod?.clusterId).to.equal('acme-x');
    const problems = await problemsOf(() => loadConfig(file, { env: {}, baseDir: dir }));
    expect(problems).to.deep.equal([
      'inputs.proofpoint_on_demand.credentials.cluster_id: environment variable CID is not set',
      'inputs.proofpoint_on_demand.credentials.api_token: environment variable POD_TOKEN is not set',
    ]);
  });

  it('never prints a secret, even when it is the wrong kind of value', async () => {
    const file = await write(VALID.replace('api_token: "${POD_TOKEN}"', 'api_token: ""').replace('client_secret: "s3cr3t-value"', 'client_secret: [s3cr3t-value]'));
    let message = '';
    try {
      await loadConfig(file, { baseDir: dir });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.include('inputs.proofpoint_on_demand.credentials.api_token: expected a non-empty string (secret), got an empty string');
    expect(message).to.include('inputs.proofpoint_casb.credentials.client_secret: expected a non-empty string (secret), got a list');
    expect(message).not.to.include('s3cr3t-value');
  });

  it('reports YAML syntax errors with line and column', async () => {
    const file = await write('globals:\n  id: "1\n  name: x\n');
    const problems = await problemsOf(() => loadConfig(file, { baseDir: dir }));
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/config\.yaml:\d+:\d+: not valid YAML: /);
  });

  it('reports duplicate keys, which YAML would otherwise silently merge', async () => {
    const file = await write(VALID.replace('  name: pp_coll', '  name: pp_coll\n  name: other'));
    const problems = await problemsOf(() => loadConfig(file, { env: { POD_TOKEN: 'tok-abcdef' }, baseDir: dir }));
    expect(problems[0]).to.match(/duplicated mapping key/);
  });

  it('fails with CONFIG_UNREADABLE naming --config when the file is missing', async () => {
    try {
      await loadConfig(path.join(dir, 'nope.yaml'));
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(CollectorError);
      expect((err as CollectorError).code).to.equal('CONFIG_UNREADABLE');
      expect((err as Error).message).to.match(/nope\.yaml.*--config/);
    }
  });

  it('requires exactly one output', async () => {
    const problems = await problemsOf(() =>
      decodeConfig({ globals: { id: '1', name: 'n' }, outputs: {}, inputs: {} }, { source: 'inline' }),
    );
    expect(problems).to.deep.equal(['outputs: expected exactly one output (e.g. devo_1), got none']);
  });

  describe('certificates', () => {
    it('reports missing files with the setting and the resolved path', async () => {
      const file = await write(VALID.replace('chain: chain.crt', 'chain: /nonexistent/chain.crt'));
      const problems = await problemsOf(() => loadConfig(file, { env: { POD_TOKEN: 'tok-abcdef' }, baseDir: dir }));
      expect(problems).to.deep.equal([
        "outputs.devo_1.config.chain: file not found: /nonexistent/chain.crt (put Devo's X.509 files in certs/, or give an absolute path)",
      ]);
    });

    it('reports a file that holds no certificate, and a key that is not a key', async () => {
      await writeFile(path.join(dir, 'certs', 'chain.crt'), 'hello');
      await writeFile(path.join(dir, 'certs', 'client.key'), 'not a key');
      const file = await write(VALID);
      const problems = await problemsOf(() => loadConfig(file, { env: { POD_TOKEN: 'tok-abcdef' }, baseDir: dir }));
      expect(problems).to.have.length(2);
      expect(problems[0]).to.match(/^outputs\.devo_1\.config\.chain: expected PEM certificates/);
      expect(problems[1]).to.match(/^outputs\.devo_1\.config\.key: .*client\.key is not a usable PEM private key/);
    });

    it('reports an expired client certificate and a key of another certificate', async () => {
      const pki = await sharedPki();
      const expired = await issueCertificate(pki.ca, { commonName: 'old', usage: 'client', days: -1 });
      await writeFile(path.join(dir, 'certs', 'client.crt'), expired.cert);
      const file = await write(VALID);
      const problems = await problemsOf(() => loadConfig(file, { env: { POD_TOKEN: 'tok-abcdef' }, baseDir: dir }));
      expect(problems).to.have.length(2);
      expect(problems[0]).to.match(/^outputs\.devo_1\.config\.cert: the certificate in .*client\.crt expired on 20\d\d-/);
      expect(problems[1]).to.match(/^outputs\.devo_1\.config\.key: the key in .*client\.key does not belong to the certificate in outputs\.devo_1\.config\.cert/);
    });
  });
});
