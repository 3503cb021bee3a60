import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { findCleartextUrls } from '../../lib/config/cleartextWarnings';
import type { CollectorConfig } from '../../lib/config/collectorConfig';
import { ConfigError } from '../../lib/config/configError';
import { decodeConfig } from '../../lib/config/loadConfig';

const GLOBALS = { id: '1', name: 'outputs' };
const INPUTS = { proofpoint_on_demand: { id: '2', credentials: { cluster_id: 'c', api_token: 'token-123456' }, services: { message: {} } } };
const TLS = { address: 'collector-us.devo.io', port: 443, type: 'SSL', chain: 'chain.crt', cert: 'domain.crt', key: 'domain.key' };

function decode(outputs: Record<string, unknown>): CollectorConfig {
  return decodeConfig({ globals: GLOBALS, outputs, inputs: INPUTS }, { baseDir: '/srv/c', certsDir: '/srv/c/certs', source: 'inline' });
}

function problemsOf(outputs: Record<string, unknown>): readonly string[] {
  try {
    decode(outputs);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe("outputs: every output type of Devo's collector SDK", () => {
  for (const type of ['devo_platform', 'relay']) {
    it(`${type}: mutual TLS, refused without chain, cert and key`, () => {
      const config = decode({ out_1: { type, config: TLS } });
      expect(config.output).to.include({ kind: 'devo', type, name: 'out_1', address: 'collector-us.devo.io', port: 443 });
      expect(problemsOf({ out_1: { type, config: { address: 'a', port: 443, type: 'SSL' } } })).to.deep.equal([
        'outputs.out_1.config.chain: expected a non-empty string, got nothing (the setting is missing)',
        'outputs.out_1.config.cert: expected a non-empty string, got nothing (the setting is missing)',
        'outputs.out_1.config.key: expected a non-empty string, got nothing (the setting is missing)',
      ]);
    });
  }

  for (const type of ['in_house_relay', 'syslog', 'sidecar']) {
    it(`${type}: a syslog relay over plain TCP by default, port 13000 by default`, () => {
      const config = decode({ relay_1: { type, config: { address: '10.0.0.5' } } });
      expect(config.output).to.include({ kind: 'syslog', type, address: '10.0.0.5', port: 13000 });
      expect(config.output).not.to.have.property('chain');
    });
  }

  it("takes Devo's spellings: url and location for address, chain_loc, cert_loc and key_loc; relative paths under certs/", () => {
    const byUrl = decode({
      relay_1: { type: 'syslog', config: { url: 'relay.lan', port: 13003, chain_loc: 'relay-ca.crt', cert_loc: 'c.crt', key_loc: '/abs/c.key' } },
    });
    expect(byUrl.output).to.deep.include({
      kind: 'syslog',
      address: 'relay.lan',
      port: 13003,
      chain: { path: path.join('/srv/c/certs', 'relay-ca.crt'), setting: 'outputs.relay_1.config.chain' },
      cert: { path: path.join('/srv/c/certs', 'c.crt'), setting: 'outputs.relay_1.config.cert' },
      key: { path: '/abs/c.key', setting: 'outputs.relay_1.config.key' },
    });
    expect(decode({ relay_1: { type: 'sidecar', config: { location: 'side.lan' } } }).output).to.include({ address: 'side.lan' });
    expect(
      decode({
        devo_1: { type: 'devo_platform', config: { url: 'collector-eu.devo.io', port: 443, type: 'SSL', chain_loc: 'a', cert_loc: 'b', key_loc: 'c' } },
      }).output,
    ).to.include({ kind: 'devo', address: 'collector-eu.devo.io' });
  });

  it('refuses a setting given in both spellings, and a client certificate without TLS or without its key', () => {
    expect(problemsOf({ relay_1: { type: 'syslog', config: { address: 'a', url: 'b' } } })).to.deep.equal([
      "outputs.relay_1.config.url: set either address or url, not both (url is Devo's other spelling of address)",
    ]);
    expect(problemsOf({ relay_1: { type: 'syslog', config: { address: 'a', cert: 'c.crt' } } })).to.deep.equal([
      'outputs.relay_1.config.key: set cert and key together (a client certificate for a relay that asks for one), or neither',
      "outputs.relay_1.config.chain: a client certificate (cert, key) needs TLS: set chain, the CA chain that signs the relay's certificate (a syslog output speaks TLS only with a chain)",
    ]);
    expect(problemsOf({ relay_1: { type: 'syslog', config: { port: 13000 } } })).to.deep.equal([
      'outputs.relay_1.config.address: expected a non-empty string, got nothing (the setting is missing)',
    ]);
  });

  for (const type of ['console', 'stdout']) {
    it(`${type}: standard output, with or without a config mapping`, () => {
      expect(decode({ console_1: { type } }).output).to.include({ kind: 'console', type, name: 'console_1' });
      expect(decode({ console_1: { type, config: { hostname: 'edge-1' } } }).output).to.include({ kind: 'console', hostname: 'edge-1' });
      expect(problemsOf({ console_1: { type, config: { address: 'x' } } })[0]).to.match(/^outputs\.console_1\.config\.address: unknown setting/);
    });
  }

  it('refuses a console output with multiprocessing: true (worker lines could not be confirmed), naming both settings', () => {
    const problems = (() => {
      try {
        decodeConfig({ globals: { ...GLOBALS, multiprocessing: true }, outputs: { console_1: { type: 'console' } }, inputs: INPUTS }, { source: 'inline' });
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      return [];
    })();
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^globals\.multiprocessing: true cannot be used with outputs\.console_1 \(type console\): .*set multiprocessing: false/);
  });

  it('refuses two console/stdout outputs (standard output would get every line twice), naming both, balanced or not', () => {
    const expected = [
      "outputs.console_1 (type console), outputs.screen (type stdout): all write to the collector's standard output, which would get every line once per output: keep one of them",
    ];
    expect(problemsOf({ console_1: { type: 'console' }, screen: { type: 'stdout' } })).to.deep.equal(expected);
    expect(
      problemsOf({ console_1: { type: 'console' }, relay_1: { type: 'syslog', config: { address: '127.0.0.1' } }, screen: { type: 'stdout' } }),
    ).to.deep.equal(expected);
    const balanced = () =>
      decodeConfig(
        { globals: { ...GLOBALS, balanced_output: true }, outputs: { console_1: { type: 'console' }, screen: { type: 'stdout' } }, inputs: INPUTS },
        { source: 'inline' },
      );
    expect(balanced).to.throw(ConfigError, /outputs\.console_1 \(type console\), outputs\.screen \(type stdout\): all write/);
    // One console beside another kind of output is fine.
    expect(decode({ console_1: { type: 'console' }, relay_1: { type: 'syslog', config: { address: '127.0.0.1' } } }).outputs).to.have.length(2);
  });

  it('an unknown type names the valid ones', () => {
    expect(problemsOf({ out_1: { type: 'kafka', config: { address: 'a' } } })).to.deep.equal([
      'outputs.out_1.type: expected one of "devo_platform", "relay", "in_house_relay", "syslog", "sidecar", "console", "stdout", got "kafka"',
    ]);
  });

  it('warns of a plain syslog output to another machine at every start, not of a loopback one nor of one with a chain', () => {
    const [warning, ...rest] = findCleartextUrls(decode({ relay_1: { type: 'syslog', config: { address: '10.0.0.5' } } }));
    expect(rest).to.deep.equal([]);
    expect(warning).to.match(
      /^outputs\.relay_1 \(type syslog\) sends to 10\.0\.0\.5:13000 over plain TCP: every event crosses the network in clear text.*Set outputs\.relay_1\.config\.chain for TLS/,
    );
    expect(findCleartextUrls(decode({ relay_1: { type: 'syslog', config: { address: '127.0.0.1' } } }))).to.deep.equal([]);
    expect(findCleartextUrls(decode({ relay_1: { type: 'syslog', config: { address: 'localhost' } } }))).to.deep.equal([]);
    expect(findCleartextUrls(decode({ relay_1: { type: 'syslog', config: { address: '10.0.0.5', chain: 'ca.crt' } } }))).to.deep.equal([]);
  });

  it('every commented example output of config.example.yaml validates once uncommented', async () => {
    const example = await readFile(path.join(__dirname, '..', '..', '..', 'config', 'config.example.yaml'), 'utf8');
    const lines = example.split('\n');
    const env = { POD_CLUSTER_ID: 'c', POD_API_TOKEN: 't-123456', CASB_API_KEY: 'k-123456', CASB_CLIENT_ID: 'i', CASB_CLIENT_SECRET: 's-123456' };
    const seen: string[] = [];
    for (const name of ['relay_1', 'console_1']) {
      const start = lines.indexOf(`  # ${name}:`);
      expect(start, name).to.be.greaterThan(-1);
      const block: string[] = [];
      for (const line of lines.slice(start)) {
        if (!line.startsWith('  # ') || (block.length > 0 && /^ {2}# \S/.test(line))) break;
        block.push(`  ${line.slice(4)}`);
      }
      const tree = yaml.load(example.replace(/\noutputs:\n[\s\S]*?\ninputs:/, `\noutputs:\n${block.join('\n')}\ninputs:`)) as {
        outputs: Record<string, { type: string }>;
      };
      const config = decodeConfig(tree, { env, baseDir: '/srv/c' });
      seen.push(`${config.output.name}:${config.output.kind}`);
      // Its optional keys, uncommented too, still validate.
      const full = block.map((l) => l.replace(/^(\s+)# (\w+: )/, '$1$2')).join('\n');
      const fullTree = yaml.load(example.replace(/\noutputs:\n[\s\S]*?\ninputs:/, `\noutputs:\n${full}\ninputs:`));
      expect(decodeConfig(fullTree, { env, baseDir: '/srv/c' }).output.name).to.equal(name);
    }
    expect(seen).to.deep.equal(['relay_1:syslog', 'console_1:console']);
  });
});
