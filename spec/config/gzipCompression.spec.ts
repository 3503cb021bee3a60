import { expect } from 'chai';
import type { CollectorConfig } from '../../lib/config/collectorConfig';
import { inertSettingLines } from '../../lib/config/inertSettings';
import { decodeConfig } from '../../lib/config/loadConfig';
import { ConfigError } from '../../lib/config/configError';

const DEVO = {
  type: 'devo_platform',
  config: { address: 'localhost', port: 6514, type: 'SSL', chain: 'c.crt', cert: 'x.crt', key: 'x.key' },
};
const SYSLOG = { type: 'syslog', config: { address: '127.0.0.1' } };

function config(globals: Record<string, unknown>, output: Record<string, unknown> = DEVO): CollectorConfig {
  return decodeConfig({
    globals: { id: '1', name: 'gzip', ...globals },
    outputs: { out_1: output },
    inputs: { proofpoint_on_demand: { id: '7', credentials: { cluster_id: 'acme', api_token: 't-123456' }, services: { message: {} } } },
  });
}

const gzipLevel = (c: CollectorConfig) => (c.output.kind === 'devo' ? c.output.gzipLevel : 'not a devo output');
const T = 'devo_sender_threshold_for_using_gzip_in_transport_layer';

describe('compression settings (globals.devo_sender_threshold_for_using_gzip_in_transport_layer, devo_sender_compression_level)', () => {
  it('a threshold below 0 compresses every batch of a devo_platform or relay output, at level 6 unless set, and is no longer listed as without effect', () => {
    const c = config({ [T]: -1 });
    expect(gzipLevel(c)).to.equal(6);
    expect(inertSettingLines(c)).to.deep.equal([]);
    expect(gzipLevel(config({ [T]: '-1', devo_sender_compression_level: 9 }, { ...DEVO, type: 'relay' }))).to.equal(9);
    expect(inertSettingLines(config({ [T]: -1, devo_sender_compression_level: 1 }))).to.deep.equal([]);
  });

  it('1.1 (the default) and anything above 1 never compress; a compression level set then is named as without effect', () => {
    expect(gzipLevel(config({}))).to.equal(undefined);
    expect(gzipLevel(config({ [T]: 1.1 }))).to.equal(undefined);
    expect(inertSettingLines(config({ [T]: 1.1 }))).to.deep.equal([]);
    expect(inertSettingLines(config({ devo_sender_compression_level: 6 }))).to.deep.equal([
      "globals.devo_sender_compression_level is accepted for compatibility with Devo's collector but has no effect here: globals.devo_sender_threshold_for_using_gzip_in_transport_layer is above 1 (1.1 when not set, as in Devo's SDK), so nothing is compressed",
    ]);
  });

  it('a threshold from 0 to 1 compresses every batch, as a value below 0 does, with a warning saying so and why', () => {
    const c = config({ [T]: 0.5 });
    expect(gzipLevel(c)).to.equal(6);
    const lines = inertSettingLines(c);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(
      /^globals\.devo_sender_threshold_for_using_gzip_in_transport_layer is accepted .* no effect here: as a fraction of the sender queue's usage; any value up to 1 compresses every batch of outputs\.out_1 \(type devo_platform\), as a value below 0 does/,
    );
    expect(gzipLevel(config({ [T]: 0 }))).to.equal(6);
    expect(gzipLevel(config({ [T]: 1 }))).to.equal(6);
  });

  it('a syslog or console output stays uncompressed, and a warning (once) says the setting has no effect on it', () => {
    for (const output of [SYSLOG, { type: 'console' }]) {
      const c = config({ [T]: -1, devo_sender_compression_level: 9 }, output);
      expect(c.output.kind).to.not.equal('devo');
      expect(c.output).to.not.have.property('gzipLevel');
      const lines = inertSettingLines(c);
      expect(lines.filter((l) => l.startsWith(`globals.${T} `))).to.have.length(1);
      expect(lines[0]).to.include(`has no effect here: on outputs.out_1 (type ${output.type}): only devo_platform and relay outputs compress`);
      expect(lines[1]).to.include('globals.devo_sender_compression_level is accepted');
    }
  });

  it('a threshold or level that is not a number is refused, naming the setting', () => {
    expect(() => config({ [T]: 'never' })).to.throw(ConfigError, `globals.${T}: expected a number, got "never"`);
    expect(() => config({ devo_sender_compression_level: 10 })).to.throw(
      ConfigError,
      'globals.devo_sender_compression_level: expected an integer from 0 to 9, got 10',
    );
  });
});
