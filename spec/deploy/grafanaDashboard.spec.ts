import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { CollectorTelemetry } from '../../lib/telemetry/collectorTelemetry';
import { METRIC_PREFIX, PrometheusMetrics } from '../../lib/telemetry/prometheusMetrics';

const DASHBOARD = path.join(__dirname, '..', '..', '..', 'deploy', 'grafana', 'proofpoint-devo-collector.json');

interface Panel {
  readonly title: string;
  readonly targets?: ReadonlyArray<{ readonly expr: string }>;
}

describe('the Grafana dashboard (deploy/grafana)', () => {
  it('queries only metrics the collector exports, every query names at least one, and it covers throughput, lag, backpressure, errors and memory', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[]; templating: { list: Array<{ definition?: string }> } };
    const telemetry = new CollectorTelemetry({ id: '1', name: 'c' });
    telemetry.service('proofpoint_on_demand', '7', 'message');
    telemetry.casbInput('3');
    const exported = new Set((await new PrometheusMetrics(telemetry).registry.getMetricsAsJSON()).map((m) => m.name));
    const queries = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.flatMap((v) => (v.definition === undefined ? [] : [v.definition])),
    ];
    expect(queries.length).to.be.greaterThan(10);
    const unknown: string[] = [];
    for (const query of queries) {
      const names = [...query.matchAll(new RegExp(`\\b${METRIC_PREFIX}[a-z0-9_]+`, 'g'))].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
      expect(names, `a metric in ${query}`).to.not.be.empty;
      for (const name of names) if (!exported.has(name)) unknown.push(name);
    }
    expect(unknown).to.deep.equal([]);
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join(' | ');
    for (const topic of ['sent', 'lag', 'backpressure', 'errors', 'memory']) expect(titles).to.include(topic);
  });

  it("shows each output on its own: every sender query keeps the output label, and an output's connection is a min, never a max", async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).filter((q) => q.includes(`${METRIC_PREFIX}sender_`));
    expect(queries.length).to.be.at.least(5);
    // With several outputs, a sum or max over all of them hides the one that is down (or stalled) behind the others.
    for (const query of queries) expect(query, query).to.match(/\bby \((?:[a-z_]+, )*output\b/);
    const connected = queries.filter((q) => q.includes(`${METRIC_PREFIX}sender_connected`));
    expect(connected).to.have.length(1);
    expect(connected[0]).to.match(/^min by \(output\) \(/);
    expect(connected[0]).not.to.match(/\bmax\b/);
  });
});
