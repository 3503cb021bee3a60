import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CollectorTelemetry } from './collectorTelemetry';
import { WRITE_LATENCY_BUCKETS, type SenderTelemetry } from './senderTelemetry';

/** The prefix of every metric the collector exports. */
export const METRIC_PREFIX = 'proofpoint_devo_';

/**
 * The collector's metrics in Prometheus' text format, from prom-client (a registry of their
 * own, so an embedding application's registry is left alone): the default process metrics, and
 * the collector's, read from its {@link CollectorTelemetry} at each scrape (the pipelines only
 * add to plain counters: a scrape costs the hot path nothing). Each metric is documented in the
 * docs/metrics-and-health.md.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();

  constructor(telemetry: CollectorTelemetry) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: METRIC_PREFIX });
    // Gauges that prom-client names like counters: Prometheus' own lint (promtool) refuses them.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      r.removeSingleMetric(`${METRIC_PREFIX}${name}`);
    const services = () => telemetry.services;
    const serviceLabels = ['input', 'input_id', 'service'] as const;
    const labelsOf = (s: (typeof telemetry.services)[number]) => ({ input: s.input, input_id: s.inputId, service: s.service });

    /** A counter whose value is read from the telemetry at each scrape. */
    const counter = (name: string, help: string, read: (s: (typeof telemetry.services)[number]) => number) =>
      new Counter({
        name: `${METRIC_PREFIX}${name}`,
        help,
        labelNames: serviceLabels,
        registers: [r],
        collect() {
          this.reset();
          for (const s of services()) this.inc(labelsOf(s), read(s));
        },
      });
    const gauge = (name: string, help: string, read: (s: (typeof telemetry.services)[number]) => number | undefined) =>
      new Gauge({
        name: `${METRIC_PREFIX}${name}`,
        help,
        labelNames: serviceLabels,
        registers: [r],
        collect() {
          this.reset();
          for (const s of services()) {
            const value = read(s);
            if (value !== undefined) this.set(labelsOf(s), value);
          }
        },
      });

    counter('events_received_total', 'Events received from the source (frames or records).', (s) => s.counters.received);
    counter('events_duplicate_total', 'Events dropped by the 1-hour de-dup window.', (s) => s.counters.duplicates);
    counter('events_dead_lettered_total', 'Events that could not be processed, written to the dead-letter file.', (s) => s.counters.deadLettered);
    counter('events_sent_total', 'Events the Devo relay confirmed reading.', (s) => s.counters.sent);
    counter('bytes_sent_total', 'Bytes of the syslog lines of the events sent.', (s) => s.counters.bytesSent);
    counter('dedup_forgotten_early_total', 'De-dup keys forgotten before the hour (the window is too small).', (s) => s.counters.forgottenEarly);
    counter('page_token_repeats_total', 'CASB events pull cycles stopped at a nextPageToken already seen in the cycle.', (s) => s.counters.pageTokenRepeats);
    counter('source_reconnects_total', 'Sessions opened after an earlier one ended (PoD).', (s) => s.reconnects);
    counter('backpressure_paused_seconds_total', 'Seconds the source was paused by backpressure.', (s) => s.pausedSeconds);
    counter('state_commit_failures_total', 'State writes that failed.', (s) => s.commitFailures);
    gauge('source_connected', '1 while the PoD session is open or the last CASB request succeeded.', (s) => (s.connected ? 1 : 0));
    gauge('service_up', '1 while the service runs (not in a restart back-off, not stopped).', (s) => (s.state === 'running' || s.state === 'starting' ? 1 : 0));
    gauge('last_delivered_event_timestamp_seconds', 'Event time of the latest event Devo confirmed (lag = time() - this).', (s) =>
      s.lastDeliveredEventTime === undefined ? undefined : s.lastDeliveredEventTime / 1000,
    );
    gauge('state_last_commit_timestamp_seconds', 'When the state was last written.', (s) => (s.lastCommitAt === undefined ? undefined : s.lastCommitAt / 1000));
    gauge('sort_window_events', 'Events held in the sort window.', (s) => s.holds.sortWindow);
    gauge('sink_held_events', 'Events handed to the sink and not yet written to the socket.', (s) => s.holds.sink);
    gauge('dedup_window_keys', 'Keys in the 1-hour de-dup window.', (s) => s.holds.dedupKeys);
    gauge('dedup_window_bytes', 'Estimated memory of the de-dup window (bounded by dedup_max_size_in_mb).', (s) => s.holds.dedupBytes);

    new Counter({
      name: `${METRIC_PREFIX}source_requests_total`,
      help: 'PoD session attempts by handshake status (101, 409, 401, …, error) and CASB HTTP requests by status, retries included.',
      labelNames: [...serviceLabels, 'outcome'],
      registers: [r],
      collect() {
        this.reset();
        for (const s of services()) for (const [outcome, n] of s.outcomes) this.inc({ ...labelsOf(s), outcome }, n);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}problems_total`,
      help: 'Problems a service reported, by error code (docs/errors.md): warnings it recovers from and errors.',
      labelNames: [...serviceLabels, 'code'],
      registers: [r],
      collect() {
        this.reset();
        for (const s of services()) for (const [code, n] of s.problemCounts) this.inc({ ...labelsOf(s), code }, n);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}casb_rate_limited_total`,
      help: 'CASB 429 answers, each pausing every request of the input.',
      labelNames: ['input_id'],
      registers: [r],
      collect() {
        this.reset();
        for (const [inputId, t] of telemetry.casbInputs) this.inc({ input_id: inputId }, t.rateLimited);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}casb_token_renewals_total`,
      help: 'CASB tokens obtained from /v1/auth (the first one included).',
      labelNames: ['input_id'],
      registers: [r],
      collect() {
        this.reset();
        for (const [inputId, t] of telemetry.casbInputs) this.inc({ input_id: inputId }, t.tokenRenewals);
      },
    });

    // One series per output (labelled with its name); a telemetry without registered outputs has its one sender.
    const outputs = () => telemetry.senders();
    const senderGauge = (name: string, help: string, read: (sender: SenderTelemetry) => number) =>
      new Gauge({
        name: `${METRIC_PREFIX}${name}`,
        help,
        labelNames: ['output'],
        registers: [r],
        collect() {
          this.reset();
          for (const [output, sender] of outputs()) this.set({ output }, read(sender));
        },
      });
    const senderCounter = (name: string, help: string, read: (sender: SenderTelemetry) => number) =>
      new Counter({
        name: `${METRIC_PREFIX}${name}`,
        help,
        labelNames: ['output'],
        registers: [r],
        collect() {
          this.reset();
          for (const [output, sender] of outputs()) this.inc({ output }, read(sender));
        },
      });
    senderGauge('sender_connected', "1 while a connection to the output's relay is open.", (sender) => (sender.connected ? 1 : 0));
    senderCounter('sender_connections_total', "Connections to the output's relay established.", (sender) => sender.connections);
    senderCounter('sender_failures_total', "Connections to the output's relay lost, and failed attempts.", (sender) => sender.failures);
    senderCounter('sender_lines_written_total', "Syslog lines the output's socket took.", (sender) => sender.linesWritten);
    senderCounter(
      'sender_bytes_written_total',
      "Bytes the output's socket took: on the wire, compressed when the output compresses.",
      (sender) => sender.bytesWritten,
    );
    senderCounter(
      'sender_bytes_uncompressed_total',
      "The lines' bytes of the output's writes before compression (equal to sender_bytes_written_total when it does not compress).",
      (sender) => sender.bytesUncompressed,
    );
    senderGauge('sender_queued_lines', 'Syslog lines waiting to be written to the output.', (sender) => sender.queuedLines());
    senderGauge(
      'sender_resend_window_bytes',
      'Bytes written to the output but not yet confirmed read by its relay (re-sent if the connection is lost).',
      (sender) => sender.unconfirmedBytes(),
    );
    new Gauge({
      name: `${METRIC_PREFIX}ready`,
      help: '1 while /ready answers 200.',
      registers: [r],
      collect() {
        this.set(telemetry.readiness().ready ? 1 : 0);
      },
    });
    const latency = new Histogram({
      name: `${METRIC_PREFIX}sender_write_latency_seconds`,
      help: "Time from handing a batch to the output's sender to the socket taking it.",
      labelNames: ['output'],
      buckets: [...WRITE_LATENCY_BUCKETS],
      registers: [r],
    });
    for (const [output, sender] of outputs()) sender.latencyObserver = (seconds) => latency.observe({ output }, seconds);
  }

  /** The exposition, in Prometheus' text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
