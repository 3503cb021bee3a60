import { expect } from 'chai';
import { CollectorTelemetry } from '../../lib/telemetry/collectorTelemetry';
import { PrometheusMetrics } from '../../lib/telemetry/prometheusMetrics';

describe('PrometheusMetrics: the sender metrics per output', () => {
  it('labels every sender metric with its output, one series per output', async () => {
    const telemetry = new CollectorTelemetry({ id: '1', name: 'c' });
    const devo = telemetry.output('devo_1');
    const relay = telemetry.output('relay_1');
    const metrics = new PrometheusMetrics(telemetry);
    devo.opened();
    devo.written(2, 100, 44);
    relay.failed();
    relay.queuedLines = () => 7;
    relay.unconfirmedBytes = () => 4096;
    relay.written(20, 100, 3);
    const text = await metrics.text();
    const series = text
      .split('\n')
      .filter((l) =>
        /^proofpoint_devo_sender_(connected|connections_total|failures_total|lines_written_total|queued_lines|resend_window_bytes|write_latency_seconds_count)\{/.test(
          l,
        ),
      );
    expect(series).to.deep.equal([
      'proofpoint_devo_sender_connected{output="devo_1"} 1',
      'proofpoint_devo_sender_connected{output="relay_1"} 0',
      'proofpoint_devo_sender_connections_total{output="devo_1"} 1',
      'proofpoint_devo_sender_connections_total{output="relay_1"} 0',
      'proofpoint_devo_sender_failures_total{output="devo_1"} 0',
      'proofpoint_devo_sender_failures_total{output="relay_1"} 1',
      'proofpoint_devo_sender_lines_written_total{output="devo_1"} 44',
      'proofpoint_devo_sender_lines_written_total{output="relay_1"} 3',
      'proofpoint_devo_sender_queued_lines{output="devo_1"} 0',
      'proofpoint_devo_sender_queued_lines{output="relay_1"} 7',
      'proofpoint_devo_sender_resend_window_bytes{output="devo_1"} 0',
      'proofpoint_devo_sender_resend_window_bytes{output="relay_1"} 4096',
      'proofpoint_devo_sender_write_latency_seconds_count{output="devo_1"} 1',
      'proofpoint_devo_sender_write_latency_seconds_count{output="relay_1"} 1',
    ]);
  });
});
