import { expect } from 'chai';
import { CollectorTelemetry } from '../../lib/telemetry/collectorTelemetry';
import { createLogger } from '../../lib/log/logger';
import { SecretRedactor } from '../../lib/log/secretRedactor';

describe('CollectorTelemetry: readiness and /status', () => {
  let now = 1_000_000;
  const make = () => {
    now = 1_000_000;
    const t = new CollectorTelemetry({ id: '1', name: 'c' }, { readinessGraceMs: 30_000, now: () => now });
    const message = t.service('proofpoint_on_demand', '7', 'message');
    const alerts = t.service('proofpoint_casb', '3', 'alerts');
    message.state = 'running';
    alerts.state = 'running';
    return { t, message, alerts };
  };

  // [case, set up, expected readiness]
  const cases: Array<[string, (x: ReturnType<typeof make>) => void, Record<string, unknown>]> = [
    ['ready when everything runs', () => undefined, { ready: true }],
    ['ready while connecting has failed for less than the grace period', ({ t }) => (t.sender.failed(), (now += 29_000)), { ready: true }],
    ['not ready once it has failed for the grace period', ({ t }) => (t.sender.failed(), (now += 30_000)), { ready: false, check: 'devo_connection' }],
    [
      'still not ready after a handshake alone (a relay may reset every connection after it)',
      ({ t }) => (t.sender.failed(), (now += 60_000), t.sender.opened()),
      { ready: false, check: 'devo_connection' },
    ],
    [
      'ready again once the relay confirms a delivery',
      ({ t }) => (t.sender.failed(), (now += 60_000), t.sender.opened(), t.sender.confirmed()),
      { ready: true },
    ],
    ['an idle close is not a failure', ({ t }) => (t.sender.opened(), t.sender.closed(true), (now += 600_000)), { ready: true }],
    [
      'not ready while a service is in a restart back-off',
      ({ alerts }) => (alerts.state = 'backoff'),
      { ready: false, check: 'service', service: 'casb/alerts' },
    ],
    ['not ready when a service cannot write its state', ({ message }) => message.committed(false), { ready: false, check: 'state', service: 'pod/message' }],
    ['ready again once a state write succeeds', ({ message }) => (message.committed(false), message.committed(true)), { ready: true }],
    ['not ready while stopping', ({ t }) => (t.stopping = true), { ready: false, check: 'stopping' }],
  ];
  for (const [what, setUp, expected] of cases) {
    it(what, () => {
      const x = make();
      setUp(x);
      expect(x.t.readiness()).to.include(expected);
    });
  }

  it('with two outputs: /ready names the failing one, /status shows each (connection, queue, unconfirmed bytes, failing since, last problem)', () => {
    const { t } = make();
    const devo = t.output('devo_1');
    const relay = t.output('relay_1');
    expect(devo).to.equal(t.sender);
    devo.opened();
    devo.queuedLines = () => 5;
    relay.queuedLines = () => 1200;
    relay.unconfirmedBytes = () => 4096;
    relay.failed();
    relay.problem('DEVO_CONNECT_FAILED', 'Cannot connect to outputs.relay_1.config.address (127.0.0.1:13000)');
    now += 30_000;
    expect(t.readiness()).to.include({ ready: false, check: 'devo_connection', output: 'relay_1' });
    expect((t.readiness() as { detail: string }).detail).to.match(/^nothing delivered to output relay_1 since 1970-01-01T00:16:40\.000Z/);
    const outputs = t.status().outputs;
    expect(outputs.map((o) => [o.name, o.connected, o.queuedLines, o.unconfirmedBytes, o.failingSince, o.lastError?.code])).to.deep.equal([
      ['devo_1', true, 5, 0, null, undefined],
      ['relay_1', false, 1200, 4096, '1970-01-01T00:16:40.000Z', 'DEVO_CONNECT_FAILED'],
    ]);
  });

  it('shows each service with its lag, counters, requests and last problem, redacted', () => {
    const { t, message } = make();
    message.counters.received = 10;
    message.counters.sent = 8;
    message.outcome('409');
    message.outcome('101');
    message.delivered(now - 90_000);
    const logger = message.logger(createLogger({ write: () => undefined }), new SecretRedactor(['tok-SECRET-123']));
    logger.info('POD_NOT_AN_ERROR: info lines are not problems');
    logger.warn('a warning without a code is not one either');
    logger.error('an uncoded error line is remembered as it is');
    logger.problem('POD_HANDSHAKE_401', 'refused Bearer tok-SECRET-123');
    const status = t.status();
    const s = status.services[0]!;
    expect(s).to.include({ name: 'pod/message', state: 'running', lagSeconds: 90 });
    expect(s.counters).to.include({ received: 10, sent: 8 });
    expect(s.requests).to.deep.equal({ '409': 1, '101': 1 });
    expect(s.lastError).to.deep.equal({ code: 'POD_HANDSHAKE_401', message: 'refused Bearer ***', at: new Date(now).toISOString() });
    expect(JSON.stringify(status)).not.to.include('tok-SECRET-123');
  });
});
