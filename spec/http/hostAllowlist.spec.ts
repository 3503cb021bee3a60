import { expect } from 'chai';
import * as fc from 'fast-check';
import { hostAllowlist } from '../../lib/http/hostAllowlist';

describe('hostAllowlist', () => {
  const allowed = hostAllowlist(['Collector.Internal', 'box-7']);

  it('answers IP literals, localhost and the names given, with or without a port, without case or trailing dot', () => {
    for (const host of [
      '127.0.0.1',
      '127.0.0.1:9464',
      '10.244.1.17:9464',
      '[::1]:9464',
      '[fe80::1]',
      'localhost',
      'LOCALHOST:80',
      'app.localhost',
      'collector.internal:9464',
      'collector.internal.',
      'box-7',
      undefined,
    ]) {
      expect(allowed(host), String(host)).to.equal(true);
    }
  });

  it('refuses other names and malformed hosts', () => {
    for (const host of [
      'evil.example',
      'evil.example:9464',
      'collector.internal.evil.com',
      '127.0.0.1.nip.io',
      'localhost.evil.com',
      '[::1',
      '[evil]:80',
      'a b',
      '',
      'box-7:port',
    ]) {
      expect(allowed(host), host).to.equal(false);
    }
  });

  it('never throws', () => {
    fc.assert(fc.property(fc.string(), (s) => typeof allowed(s) === 'boolean'));
  });
});
