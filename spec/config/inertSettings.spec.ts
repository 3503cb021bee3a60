import { expect } from 'chai';
import type { CollectorConfig } from '../../lib/config/collectorConfig';
import { logInertSettings } from '../../lib/config/inertSettings';
import { decodeConfig } from '../../lib/config/loadConfig';
import { createLogger } from '../../lib/log/logger';

function config(globals: Record<string, unknown>, output: Record<string, unknown> = {}, pod: Record<string, unknown> = {}): CollectorConfig {
  return decodeConfig({
    globals: { id: '1', name: 'inert', ...globals },
    outputs: {
      devo_9: { type: 'devo_platform', config: { address: 'localhost', port: 6514, type: 'SSL', chain: 'c.crt', cert: 'x.crt', key: 'x.key', ...output } },
    },
    inputs: { proofpoint_on_demand: { id: '7', credentials: { cluster_id: 'acme', api_token: 't-123456' }, services: { message: {} }, ...pod } },
  });
}

function linesOf(c: CollectorConfig): { returned: readonly string[]; lines: string[] } {
  const lines: string[] = [];
  const returned = logInertSettings(c, createLogger({ write: (l) => lines.push(l) }));
  return { returned, lines };
}

describe('logInertSettings', () => {
  it('warns once for each accepted setting that has no effect here, naming it and saying why', () => {
    const { returned, lines } = linesOf(
      config(
        {
          queue_max_size_in_mb: 1024,
          queue_max_size_in_messages: 10_000,
          queue_max_elapsed_time_in_sec: 60,
          queue_wrap_max_size_in_messages: 100,
          devo_sender_compression_level: 6,
        },
        { connecting_retries: 5 },
        { requests_per_second: 1 },
      ),
    );
    expect(lines).to.have.length(5);
    expect(
      lines.every((l) => / WARNING MainProcess::MainThread -> \S+ is accepted for compatibility with Devo's collector but has no effect here: /.test(l)),
    ).to.equal(true);
    expect(returned).to.deep.equal([
      "globals.queue_max_elapsed_time_in_sec is accepted for compatibility with Devo's collector but has no effect here: batches are cut by count, bytes and delay (outputs.devo_9.config.batch_max_events, batch_max_bytes, batch_max_delay_ms)",
      "globals.queue_wrap_max_size_in_messages is accepted for compatibility with Devo's collector but has no effect here: batches are cut by count, bytes and delay (outputs.devo_9.config.batch_max_events, batch_max_bytes, batch_max_delay_ms)",
      "globals.devo_sender_compression_level is accepted for compatibility with Devo's collector but has no effect here: globals.devo_sender_threshold_for_using_gzip_in_transport_layer is above 1 (1.1 when not set, as in Devo's SDK), so nothing is compressed",
      "outputs.devo_9.config.connecting_retries is accepted for compatibility with Devo's collector but has no effect here: a lost connection is replaced with capped exponential backoff and jitter, with no limit of tries",
      "inputs.proofpoint_on_demand.requests_per_second is accepted for compatibility with Devo's collector but has no effect here: PoD is one websocket session per service, not a series of requests (period_in_seconds spaces the sessions)",
    ]);
  });

  it('says nothing of the settings that mean something here, nor of a config without Devo settings', () => {
    expect(linesOf(config({ queue_max_size_in_mb: 100, queue_max_size_in_messages: 500, sender_stats_period_in_sec: 60, debug: true })).lines).to.deep.equal(
      [],
    );
    expect(linesOf(config({}, { period_sender_stats_in_seconds: 60 })).lines).to.deep.equal([]);
    expect(linesOf(config({})).lines).to.deep.equal([]);
  });
});
