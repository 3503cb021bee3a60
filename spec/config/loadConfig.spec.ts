import { expect } from 'chai';
import { readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { checkWithoutEnvironment } from '../../lib/config/checkWithoutEnvironment';
import type { DevoOutputConfig } from '../../lib/config/collectorConfig';
import { ConfigError } from '../../lib/config/configError';
import { decodeConfig, loadConfig } from '../../lib/config/loadConfig';
import { CollectorError } from '../../lib/errors/collectorError';
import { issueCertificate } from '../../lib/simulators/throwawayPki';
import { sharedPki } from '../helpers/pki';
import { dirWithCerts } from '../helpers/dirWithCerts';

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
  const work = dirWithCerts();

  async function write(text: string): Promise<string> {
    const file = path.join(work.dir, 'config.yaml');
    await writeFile(file, text);
    return file;
  }

  it('loads a valid file with defaults applied and relative paths resolved', async () => {
    const file = await write(VALID);
    const config = await loadConfig(file, { env: { POD_TOKEN: 'tok-abcdef' }, baseDir: work.dir });
    expect(config.collector).to.deep.equal({ id: '1', name: 'pp_coll', debug: false, multiprocessing: false });
    expect(config.stateDirectory).to.equal(path.join(work.dir, 'state'));
    expect(config.output.kind).to.equal('devo');
    expect((config.output as DevoOutputConfig).chain).to.deep.equal({
      path: path.join(work.dir, 'certs', 'chain.crt'),
      setting: 'outputs.devo_1.config.chain',
    });
    expect(config.output.batch).to.deep.equal({ maxEvents: 1000, maxBytes: 1048576, maxDelayMs: 250 });
    expect((config.output as DevoOutputConfig).idleTimeoutMs).to.equal(25_000);
    expect(config.pod).to.deep.equal({
      inputId: '12345',
      enabled: true,
      clusterId: 'acme_hosted',
      apiToken: 'tok-abcdef',
      services: [
        {
          name: 'message',
          periodMs: 60_000,
          tag: 'mail.proofpoint.pod.message',
          urlBase: 'wss://logstream.proofpoint.com:443',
          dedupMaxBytes: 256 * 1024 * 1024,
          maxEventBytes: 32 * 1024 * 1024,
        },
        {
          name: 'maillog',
          periodMs: 30_000,
          tag: 'my.pod.maillog',
          urlBase: 'wss://logstream.proofpoint.com:443',
          dedupMaxBytes: 256 * 1024 * 1024,
          maxEventBytes: 32 * 1024 * 1024,
          startTime: Date.UTC(2024, 4, 22, 19),
        },
      ],
    });
    expect(config.inFlight).to.deep.equal({ maxEvents: 10_000, maxBytes: 1024 * 1024 * 1024 });
    expect(config.output.senderStatsPeriodMs).to.equal(600_000);
    expect(config.casb?.requestsLimits).to.deep.equal([]);
    expect(config.inertSettings).to.deep.equal([]);
    expect(config.casb?.enabled).to.equal(false);
    expect(config.casb?.services).to.deep.equal([
      { name: 'alerts', requestPeriodMs: 600_000, tag: 'casb.proofpoint.alert', dedupMaxBytes: 256 * 1024 * 1024, initialStartTime: Date.UTC(2024, 0, 1) },
    ]);
  });

  it('validates the shipped example once its certificates and variables exist', async () => {
    const example = await readFile(path.join(__dirname, '..', '..', '..', 'config', 'config.example.yaml'), 'utf8');
    const file = await write(example.replace('chain.crt', 'chain.crt').replace('my_domain.crt', 'client.crt').replace('my_domain.key', 'client.key'));
    const env = { POD_CLUSTER_ID: 'c', POD_API_TOKEN: 't-123456', CASB_API_KEY: 'k-123456', CASB_CLIENT_ID: 'i', CASB_CLIENT_SECRET: 's-123456' };
    const config = await loadConfig(file, { env, baseDir: work.dir });
    expect(config.pod?.services.map((s) => s.name)).to.deep.equal(['message', 'maillog']);
    expect(config.casb?.services.map((s) => s.name)).to.deep.equal(['alerts', 'events']);
    // The first CASB pull starts an hour back (the code's default), not years back.
    expect(config.casb?.services.map((s) => s.initialStartTime)).to.deep.equal([undefined, undefined]);
  });

  describe("Devo's collector settings", () => {
    /** A Devo user's config: every local override of Devo's SDK, its sender and input settings. */
    const DEVO_USER = `
globals:
  id: not_u
  name: pp_coll
  debug: false
  multiprocessing: false
  queue_max_size_in_mb: 512
  queue_max_size_in_messages: 5000
  queue_max_elapsed_time_in_sec: 60
  queue_wrap_max_size_in_messages: 100
  queue_generate_metrics: false
  sender_concurrent_connections: 1
  sender_stats_period_in_sec: 120
  sender_activate_final_queue: false
  generate_collector_details: false
  balanced_output: false
  max_consumers_for_multiprocessing: 2
  max_consumers_for_multithreading: 500
  devo_sender_threshold_for_using_gzip_in_transport_layer: 1.1
  devo_sender_compression_level: 6
  devo_sender_compression_buffer_in_bytes: 51200
  persistence: { type: filesystem, config: { directory_name: state } }
outputs:
  devo_1:
    type: devo_platform
    config:
      address: localhost
      port: 6514
      type: SSL
      chain: chain.crt
      cert: client.crt
      key: client.key
      connecting_retries: 5
      connecting_initial_wait_in_seconds: 2
      connecting_max_wait_in_seconds: 60
      sending_timeout: 5
      sending_retries: 5
      sending_initial_wait_in_seconds: 2
      sending_max_wait_in_seconds: 60
      period_sender_stats_in_seconds: 300
      concurrent_connections: 1
inputs:
  proofpoint_on_demand:
    id: "1"
    requests_per_second: 1
    requests_limits: [{ period: 1d, number_of_requests: 1000 }]
    credentials: { cluster_id: c, api_token: t-123456 }
    services: { message: {} }
  proofpoint_casb:
    id: "2"
    requests_per_second: 2
    requests_limits:
      - { period: 1d, number_of_requests: 1000 }
      - { period: 3600, number_of_requests: 100 }
      - { period: 15m, number_of_requests: 30 }
    credentials: { api_key: k-123456, client_id: i, client_secret: s-123456 }
    services: { alerts: {} }
`;

    it("accepts a Devo user's config with every setting of Devo's SDK, and resolves those that mean something here", async () => {
      const config = await loadConfig(await write(DEVO_USER), { baseDir: work.dir });
      expect(config.inFlight).to.deep.equal({ maxEvents: 5000, maxBytes: 512 * 1024 * 1024 });
      // The global setting overrides the output's, as in Devo's SDK.
      expect(config.output.senderStatsPeriodMs).to.equal(120_000);
      expect(config.casb?.requestsPerSecond).to.equal(2);
      expect(config.casb?.requestsLimits).to.deep.equal([
        { periodMs: 86_400_000, requests: 1000 },
        { periodMs: 3_600_000, requests: 100 },
        { periodMs: 900_000, requests: 30 },
      ]);
      expect(config.inertSettings.map((s) => s.path)).to.deep.equal([
        'globals.queue_max_elapsed_time_in_sec',
        'globals.queue_wrap_max_size_in_messages',
        'globals.queue_generate_metrics',
        'globals.sender_concurrent_connections',
        'globals.sender_activate_final_queue',
        'globals.generate_collector_details',
        'globals.max_consumers_for_multiprocessing',
        'globals.max_consumers_for_multithreading',
        'globals.devo_sender_compression_level',
        'globals.devo_sender_compression_buffer_in_bytes',
        'outputs.devo_1.config.connecting_retries',
        'outputs.devo_1.config.connecting_initial_wait_in_seconds',
        'outputs.devo_1.config.connecting_max_wait_in_seconds',
        'outputs.devo_1.config.sending_timeout',
        'outputs.devo_1.config.sending_retries',
        'outputs.devo_1.config.sending_initial_wait_in_seconds',
        'outputs.devo_1.config.sending_max_wait_in_seconds',
        'outputs.devo_1.config.concurrent_connections',
        'outputs.devo_1.config.period_sender_stats_in_seconds',
        'inputs.proofpoint_on_demand.requests_per_second',
        'inputs.proofpoint_on_demand.requests_limits',
      ]);
      expect(config.inertSettings.every((s) => s.reason.length > 20)).to.equal(true);
    });

    it("takes the output's period_sender_stats_in_seconds when no global overrides it", async () => {
      const config = await loadConfig(await write(DEVO_USER.replace('  sender_stats_period_in_sec: 120\n', '')), { baseDir: work.dir });
      expect(config.output.senderStatsPeriodMs).to.equal(300_000);
      expect(config.inertSettings.map((s) => s.path)).not.to.include('outputs.devo_1.config.period_sender_stats_in_seconds');
    });

    it("rejects values outside Devo's types and ranges, each naming its setting", async () => {
      const text = DEVO_USER.replace('queue_max_size_in_mb: 512', 'queue_max_size_in_mb: 5121')
        .replace('queue_max_size_in_messages: 5000', 'queue_max_size_in_messages: 0')
        .replace('queue_max_elapsed_time_in_sec: 60', 'queue_max_elapsed_time_in_sec: 601')
        .replace('queue_wrap_max_size_in_messages: 100', 'queue_wrap_max_size_in_messages: 501')
        .replace('queue_generate_metrics: false', 'queue_generate_metrics: sometimes')
        .replace('sender_stats_period_in_sec: 120', 'sender_stats_period_in_sec: 0')
        .replace('devo_sender_compression_level: 6', 'devo_sender_compression_level: 10')
        .replace('connecting_retries: 5', 'connecting_retries: -1')
        .replace('sending_timeout: 5', 'sending_timeout: 0')
        .replace('- { period: 3600, number_of_requests: 100 }', '- { period: soon, number_of_requests: 0 }')
        .replace('- { period: 15m, number_of_requests: 30 }', '- { period: 15m, number_of_requests: 30, burst: 2 }');
      const problems = await problemsOf(async () => loadConfig(await write(text), { baseDir: work.dir }));
      expect(problems).to.deep.equal([
        'globals.queue_max_size_in_mb: expected an integer from 1 to 5120, got 5121',
        'globals.queue_max_size_in_messages: expected an integer from 1 to 100000, got 0',
        'globals.queue_max_elapsed_time_in_sec: expected an integer from 1 to 600, got 601',
        'globals.queue_wrap_max_size_in_messages: expected an integer from 1 to 500, got 501',
        'globals.queue_generate_metrics: expected true or false, got "sometimes"',
        'globals.sender_stats_period_in_sec: expected a positive integer, got 0',
        'globals.devo_sender_compression_level: expected an integer from 0 to 9, got 10',
        'outputs.devo_1.config.connecting_retries: expected an integer of 0 or more, got -1',
        'outputs.devo_1.config.sending_timeout: expected a positive number, got 0',
        'inputs.proofpoint_casb.requests_limits[1].period: expected a period: seconds (3600) or a number with s, m, h or d (1h, 1d), got "soon"',
        'inputs.proofpoint_casb.requests_limits[1].number_of_requests: expected a positive integer, got 0',
        'inputs.proofpoint_casb.requests_limits[2].burst: unknown setting (expected one of: period, number_of_requests)',
      ]);
    });

    it('requires queue_wrap_max_size_in_messages below queue_max_size_in_messages, as Devo does', async () => {
      const text = DEVO_USER.replace('queue_max_size_in_messages: 5000', 'queue_max_size_in_messages: 100');
      const problems = await problemsOf(async () => loadConfig(await write(text), { baseDir: work.dir }));
      expect(problems).to.deep.equal(['globals.queue_wrap_max_size_in_messages: expected a number below globals.queue_max_size_in_messages (100), got 100']);
    });

    it('reads inputs.proofpoint_casb.max_response_size_in_mb (default 64 MiB) and refuses it outside 1-1024, naming it', async () => {
      expect((await loadConfig(await write(DEVO_USER), { baseDir: work.dir })).casb?.maxResponseBytes).to.equal(64 * 1048576);
      const set = (value: string) => DEVO_USER.replace('    requests_per_second: 2\n', `    requests_per_second: 2\n    max_response_size_in_mb: ${value}\n`);
      expect((await loadConfig(await write(set('8')), { baseDir: work.dir })).casb?.maxResponseBytes).to.equal(8 * 1048576);
      for (const bad of ['0', '1025', '1.5', 'big']) {
        const problems = await problemsOf(async () => loadConfig(await write(set(bad)), { baseDir: work.dir }));
        expect(problems, bad).to.deep.equal([
          `inputs.proofpoint_casb.max_response_size_in_mb: expected an integer from 1 to 1024, got ${bad === 'big' ? '"big"' : bad}`,
        ]);
      }
    });

    it('still rejects a truly unknown key, with a "did you mean" hint', async () => {
      const text = DEVO_USER.replace('sender_stats_period_in_sec: 120', 'sender_stats_period_in_secs: 120').replace(
        'requests_limits: [{',
        'request_limits: [{',
      );
      const problems = await problemsOf(async () => loadConfig(await write(text), { baseDir: work.dir }));
      expect(problems).to.deep.equal([
        'globals.sender_stats_period_in_secs: unknown setting (did you mean "sender_stats_period_in_sec"?)',
        'inputs.proofpoint_on_demand.request_limits: unknown setting (did you mean "requests_limits"?)',
      ]);
    });
  });

  it('says an environment variable is empty or unset when its empty value is refused (Compose ${VAR:-})', async () => {
    const file = await write(VALID.replace('cluster_id: acme_hosted', 'cluster_id: "${CID}"'));
    const problems = await problemsOf(() => loadConfig(file, { env: { POD_TOKEN: '', CID: '  ' }, baseDir: work.dir }));
    expect(problems).to.deep.equal([
      "inputs.proofpoint_on_demand.credentials.cluster_id: environment variable CID is empty or unset (Docker Compose's ${CID:-} makes an unset variable empty): set it where the collector runs",
      "inputs.proofpoint_on_demand.credentials.api_token: environment variable POD_TOKEN is empty or unset (Docker Compose's ${POD_TOKEN:-} makes an unset variable empty): set it where the collector runs",
    ]);
    // An empty variable inside a longer value that is still valid is no problem.
    const inside = await write(VALID.replace('cluster_id: acme_hosted', 'cluster_id: "acme${SUFFIX}"'));
    expect((await loadConfig(inside, { env: { POD_TOKEN: 'tok-abcdef', SUFFIX: '' }, baseDir: work.dir })).pod?.clusterId).to.equal('acme');
  });

  it('reports a malformed ${NAME} reference, without printing a secret around it; $${ is a literal ${', async () => {
    const file = await write(
      VALID.replace('cluster_id: acme_hosted', 'cluster_id: "${POD-CLUSTER}"')
        .replace('api_token: "${POD_TOKEN}"', 'api_token: "s3cret${POD_TOKEN"')
        .replace('client_id: cid', () => 'client_id: "c$${id}"'),
    );
    const problems = await problemsOf(() => loadConfig(file, { env: {}, baseDir: work.dir }));
    expect(problems).to.deep.equal([
      'inputs.proofpoint_on_demand.credentials.cluster_id: malformed reference "${POD-CLUSTER}": write ${NAME} (letters, digits and _, not starting with a digit), or $${ for a literal ${',
      'inputs.proofpoint_on_demand.credentials.api_token: malformed reference: write ${NAME} (letters, digits and _, not starting with a digit), or $${ for a literal ${',
    ]);
    const literal = await write(VALID.replace('client_id: cid', () => 'client_id: "c$${id}"'));
    expect((await loadConfig(literal, { env: { POD_TOKEN: 'tok-abcdef' }, baseDir: work.dir })).casb?.clientId).to.equal('c${id}');
  });

  describe('checkWithoutEnvironment (validate --no-environment)', () => {
    it('checks every setting without the environment variables or the certificate files', async () => {
      await rm(path.join(work.dir, 'certs'), { recursive: true });
      const file = await write(VALID.replace('port: 6514', 'port: "${DEVO_PORT}"').replace('cluster_id: acme_hosted', 'cluster_id: "${CID}"'));
      const { references, config } = await checkWithoutEnvironment(file, { baseDir: work.dir });
      expect(references).to.deep.equal([
        'outputs.devo_1.config.port',
        'inputs.proofpoint_on_demand.credentials.cluster_id',
        'inputs.proofpoint_on_demand.credentials.api_token',
      ]);
      // A typed setting that holds a reference is known only at run time: the rest cannot be resolved.
      expect(config).to.equal(undefined);
      const plain = await write(VALID);
      expect((await checkWithoutEnvironment(plain, { baseDir: work.dir })).config?.pod?.apiToken).to.equal('${POD_TOKEN}');
    });

    it('still reports bad settings, unknown keys and malformed references', async () => {
      const file = await write(
        VALID.replace('port: 6514', 'port: 70000')
          .replace('cluster_id: acme_hosted', 'cluster_id: "${CID"')
          .replace('  name: pp_coll', '  name: pp_coll\n  queue_max_size_in_mb: "${QUEUE_MB}"\n  queue_max_size_in_mbs: 5'),
      );
      const problems = await problemsOf(() => checkWithoutEnvironment(file, { baseDir: work.dir }));
      expect(problems).to.deep.equal([
        'inputs.proofpoint_on_demand.credentials.cluster_id: malformed reference "${CID": write ${NAME} (letters, digits and _, not starting with a digit), or $${ for a literal ${',
        'globals.queue_max_size_in_mbs: unknown setting (did you mean "queue_max_size_in_mb"?)',
        'outputs.devo_1.config.port: expected a port number (1-65535), got 70000',
      ]);
    });
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
    const problems = await problemsOf(() => loadConfig(file, { baseDir: work.dir }));
    expect(problems).to.deep.equal([
      'globals.id: expected a string of 1-5 characters, got "toolong"',
      'globals.debgu: unknown setting (did you mean "debug"?)',
      'outputs.devo_1.config.port: expected a port number (1-65535), got 99999',
      'outputs.devo_1.config.type: expected "SSL", got "TCP"',
      'outputs.devo_1.config.key: expected a non-empty string, got nothing (the setting is missing)',
      'inputs.proofpoint_casb.credentials.client_secret: expected a non-empty string without control characters or line breaks (secret), got a number',
      'inputs.proofpoint_casb.services.alerts.request_period_in_seconds: expected a positive integer, got "ten"',
      'inputs.proofpoint_casb.services.alerts.initial_start_time_in_utc: expected an ISO-8601 date-time such as 2024-01-01T00:00:00Z, got "yesterday"',
      'inputs.proofpoint_casb.services.evnets: unknown setting (did you mean "events"?)',
    ]);
  });

  it('substitutes ${ENV} and reports each undefined variable with its path', async () => {
    const file = await write(VALID.replace('cluster_id: acme_hosted', 'cluster_id: "${CID}-x"'));
    const config = await loadConfig(file, { env: { POD_TOKEN: 'tok-abcdef', CID: 'acme' }, baseDir: work.dir });
    expect(config.pod?.clusterId).to.equal('acme-x');
    const problems = await problemsOf(() => loadConfig(file, { env: {}, baseDir: work.dir }));
    expect(problems).to.deep.equal([
      'inputs.proofpoint_on_demand.credentials.cluster_id: environment variable CID is not set',
      'inputs.proofpoint_on_demand.credentials.api_token: environment variable POD_TOKEN is not set',
    ]);
  });

  it('never prints a secret, even when it is the wrong kind of value', async () => {
    const file = await write(
      VALID.replace('api_token: "${POD_TOKEN}"', 'api_token: ""').replace('client_secret: "s3cr3t-value"', 'client_secret: [s3cr3t-value]'),
    );
    let message = '';
    try {
      await loadConfig(file, { baseDir: work.dir });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.include(
      'inputs.proofpoint_on_demand.credentials.api_token: expected a non-empty string without control characters or line breaks (secret), got an empty string',
    );
    expect(message).to.include(
      'inputs.proofpoint_casb.credentials.client_secret: expected a non-empty string without control characters or line breaks (secret), got a list',
    );
    expect(message).not.to.include('s3cr3t-value');
  });

  it('refuses what would break the syslog wire or a header: a HOSTNAME with a space, line breaks in ids and secrets (also through ${VAR})', async () => {
    const text = VALID.replace('key: client.key }', 'key: client.key, hostname: "${HOST}" }')
      .replace('cluster_id: acme_hosted', 'cluster_id: "acme\\u0007"')
      .replace('client_id: cid', 'client_id: "c\\nid"');
    const file = await write(text);
    const env = { POD_TOKEN: 'tok-abc\r\ndef-s3cr3t', HOST: 'edge\nhost' };
    const problems = await problemsOf(() => loadConfig(file, { env, baseDir: work.dir }));
    expect(problems).to.deep.equal([
      'outputs.devo_1.config.hostname: expected a host name of 1-255 printable ASCII characters without spaces (a syslog HOSTNAME), got "edge\\nhost"',
      'inputs.proofpoint_on_demand.credentials.cluster_id: expected a non-empty string without spaces around it, control characters or line breaks, got "acme\\u0007"',
      'inputs.proofpoint_on_demand.credentials.api_token: expected a non-empty string without control characters or line breaks (secret), got a string (not shown)',
      'inputs.proofpoint_casb.credentials.client_id: expected a non-empty string without spaces around it, control characters or line breaks, got "c\\nid"',
    ]);
    expect(problems.join('\n')).not.to.include('s3cr3t');
    const spaced = await problemsOf(() => loadConfig(file, { env: { POD_TOKEN: 'tok-abcdef', HOST: 'edge host' }, baseDir: work.dir }));
    expect(spaced).to.have.length(3);
    expect(spaced[0]).to.match(/^outputs\.devo_1\.config\.hostname: expected a host name .*, got "edge host"$/);
    const config = await loadConfig(await write(VALID.replace('key: client.key }', 'key: client.key, hostname: edge-7.example.com }')), {
      env: { POD_TOKEN: 'tok-abcdef' },
      baseDir: work.dir,
    });
    expect(config.output.hostname).to.equal('edge-7.example.com');
  });

  it('reports YAML syntax errors with line and column', async () => {
    const file = await write('globals:\n  id: "1\n  name: x\n');
    const problems = await problemsOf(() => loadConfig(file, { baseDir: work.dir }));
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/config\.yaml:\d+:\d+: not valid YAML: /);
  });

  it('reports duplicate keys, which YAML would otherwise silently merge', async () => {
    const file = await write(VALID.replace('  name: pp_coll', '  name: pp_coll\n  name: other'));
    const problems = await problemsOf(() => loadConfig(file, { env: { POD_TOKEN: 'tok-abcdef' }, baseDir: work.dir }));
    expect(problems[0]).to.match(/duplicated mapping key/);
  });

  it('fails with CONFIG_UNREADABLE naming --config when the file is missing', async () => {
    try {
      await loadConfig(path.join(work.dir, 'nope.yaml'));
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(CollectorError);
      expect((err as CollectorError).code).to.equal('CONFIG_UNREADABLE');
      expect((err as Error).message).to.match(/nope\.yaml.*--config/);
    }
  });

  it('requires at least one output', async () => {
    const problems = await problemsOf(() => decodeConfig({ globals: { id: '1', name: 'n' }, outputs: {}, inputs: {} }, { source: 'inline' }));
    expect(problems).to.deep.equal(['outputs: expected at least one output (e.g. devo_1), got none']);
  });

  it('takes several outputs, in file order, with balanced_output; refuses outputs that disagree on the hostname of the shared line', async () => {
    const outputs = {
      relay_1: { type: 'syslog', config: { address: '127.0.0.1', hostname: 'edge-1' } },
      console_1: { type: 'console', config: { hostname: 'edge-1' } },
    };
    const config = decodeConfig({ globals: { id: '1', name: 'n', balanced_output: true }, outputs, inputs: {} }, { source: 'inline' });
    expect(config.outputs.map((o) => `${o.name}:${o.kind}`)).to.deep.equal(['relay_1:syslog', 'console_1:console']);
    expect(config.output.name).to.equal('relay_1');
    expect(config.balancedOutput).to.equal(true);
    expect(config.inertSettings.map((s) => s.path)).not.to.include('globals.balanced_output');
    const problems = await problemsOf(() =>
      decodeConfig(
        { globals: { id: '1', name: 'n' }, outputs: { ...outputs, console_1: { type: 'console', config: { hostname: 'edge-2' } } }, inputs: {} },
        { source: 'inline' },
      ),
    );
    expect(problems).to.deep.equal([
      `outputs.console_1.config.hostname: "edge-2" differs from outputs.relay_1's "edge-1": every output gets the same line per event, so set the same hostname on each (or on none)`,
    ]);
  });

  describe('certificates', () => {
    it('reports missing files with the setting and the resolved path', async () => {
      const file = await write(VALID.replace('chain: chain.crt', 'chain: /nonexistent/chain.crt'));
      const problems = await problemsOf(() => loadConfig(file, { env: { POD_TOKEN: 'tok-abcdef' }, baseDir: work.dir }));
      expect(problems).to.deep.equal([
        "outputs.devo_1.config.chain: file not found: /nonexistent/chain.crt (put Devo's X.509 files in certs/, or give an absolute path)",
      ]);
    });

    it('reports a file that holds no certificate, and a key that is not a key', async () => {
      await writeFile(path.join(work.dir, 'certs', 'chain.crt'), 'hello');
      await writeFile(path.join(work.dir, 'certs', 'client.key'), 'not a key');
      const file = await write(VALID);
      const problems = await problemsOf(() => loadConfig(file, { env: { POD_TOKEN: 'tok-abcdef' }, baseDir: work.dir }));
      expect(problems).to.have.length(2);
      expect(problems[0]).to.match(/^outputs\.devo_1\.config\.chain: expected PEM certificates/);
      expect(problems[1]).to.match(/^outputs\.devo_1\.config\.key: .*client\.key is not a usable PEM private key/);
    });

    it('reports an expired client certificate and a key of another certificate', async () => {
      const pki = await sharedPki();
      const expired = await issueCertificate(pki.ca, { commonName: 'old', usage: 'client', days: -1 });
      await writeFile(path.join(work.dir, 'certs', 'client.crt'), expired.cert);
      const file = await write(VALID);
      const problems = await problemsOf(() => loadConfig(file, { env: { POD_TOKEN: 'tok-abcdef' }, baseDir: work.dir }));
      expect(problems).to.have.length(2);
      expect(problems[0]).to.match(/^outputs\.devo_1\.config\.cert: the certificate in .*client\.crt expired on 20\d\d-/);
      expect(problems[1]).to.match(
        /^outputs\.devo_1\.config\.key: the key in .*client\.key does not belong to the certificate in outputs\.devo_1\.config\.cert/,
      );
    });
  });
});
