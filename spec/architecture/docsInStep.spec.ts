import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { CollectorConfig, DevoOutputConfig } from '../../lib/config/collectorConfig';
import { GZIP_THRESHOLD_DEFAULT } from '../../lib/config/gzipCompression';
import { decodeConfig } from '../../lib/config/loadConfig';
import { ERROR_CODES } from '../../lib/errors/collectorError';
import { silentLogger } from '../../lib/log/logger';
import { resolveSenderOptions } from '../../lib/sinks/devoSenderOptions';
import { CASB_RETRY_AFTER_MAX_MS } from '../../lib/sources/casbClient';
import { CollectorTelemetry } from '../../lib/telemetry/collectorTelemetry';
import { METRIC_PREFIX, PrometheusMetrics } from '../../lib/telemetry/prometheusMetrics';
import { POD_DEFAULT_TUNING } from '../../pipelines/pod/podTuning';

const ROOT = path.join(__dirname, '..', '..', '..');
/** A file of the repository, by its path from the root (`README.md`, `docs/errors.md`). */
const page = (file: string) => readFile(path.join(ROOT, file), 'utf8');
const readme = () => page('README.md');
/** The README and every page under docs/, by path from the root. */
async function allPages(): Promise<string[]> {
  return ['README.md', ...(await readdir(path.join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
}

/** The rows of the first table after `heading` (a line of its own, the page's title too), as cells. */
function table(text: string, heading: string): string[][] {
  const start = `\n${text}`.indexOf(`\n${heading}\n`);
  expect(start, `section ${heading}`).to.be.greaterThan(-1);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

/** The Devo output of the minimal config. */
function devo(c: CollectorConfig): DevoOutputConfig {
  expect(c.output.kind).to.equal('devo');
  return c.output as DevoOutputConfig;
}

/** The smallest config with every input and service, every default left to the code. */
const MINIMAL = {
  globals: { id: '1', name: 'docs' },
  outputs: {
    devo_1: { type: 'devo_platform', config: { address: 'collector-us.devo.io', port: 443, type: 'SSL', chain: 'chain.crt', cert: 'c.crt', key: 'c.key' } },
  },
  inputs: {
    proofpoint_on_demand: { id: '2', credentials: { cluster_id: 'c', api_token: 'token-123456' }, services: { message: {} } },
    proofpoint_casb: { id: '3', credentials: { api_key: 'key-123456', client_id: 'i', client_secret: 'secret-123456' }, services: { alerts: {} } },
  },
};

/**
 * How the code says each defaulted row of the configuration table, in the README's words (the
 * part of the default cell before any parenthesis). A new row with a default needs a line here.
 */
const DEFAULTS: Record<string, (c: CollectorConfig) => string> = {
  '`globals.devo_sender_threshold_for_using_gzip_in_transport_layer`, `globals.devo_sender_compression_level` (0-9)': (c) => {
    const on = decodeConfig(
      { ...MINIMAL, globals: { ...MINIMAL.globals, devo_sender_threshold_for_using_gzip_in_transport_layer: -1 } },
      { baseDir: '/tmp/docs' },
    ).output;
    const level = (o: CollectorConfig['output']) => (o.kind === 'devo' ? o.gzipLevel : undefined);
    return `${level(c.output) === undefined ? GZIP_THRESHOLD_DEFAULT : 'compressing'}, ${String(level(on))}`;
  },
  '`globals.debug`': (c) => `\`${String(c.collector.debug)}\``,
  '`globals.multiprocessing`': (c) => `\`${String(c.collector.multiprocessing)}\``,
  '`globals.balanced_output`': (c) => `\`${String(c.balancedOutput)}\``,
  '`globals.persistence.config.directory_name`': (c) => `\`${path.basename(c.stateDirectory)}\``,
  '`outputs.<name>.config.batch_max_events`, `batch_max_bytes`, `batch_max_delay_ms`': (c) =>
    `${c.output.batch.maxEvents}, ${c.output.batch.maxBytes / 1048576} MiB, ${c.output.batch.maxDelayMs} ms`,
  '`outputs.<name>.config.idle_timeout_in_seconds`': (c) => String(devo(c).idleTimeoutMs / 1000),
  '`outputs.<name>.config.recycle_period_in_seconds`': (c) => String(devo(c).recycleAfterMs / 1000),
  '`outputs.<name>.config.insecure_skip_server_verification`': (c) => `\`${String(devo(c).insecureSkipServerVerification)}\``,
  '`inputs.proofpoint_on_demand.services.<message\\|maillog\\|audit>.period_in_seconds`': (c) => String(c.pod!.services[0]!.periodMs / 1000),
  '`….dedup_max_size_in_mb` (PoD and CASB services)': (c) => {
    expect(c.casb!.services[0]!.dedupMaxBytes).to.equal(c.pod!.services[0]!.dedupMaxBytes);
    return String(c.pod!.services[0]!.dedupMaxBytes / 1048576);
  },
  '`….max_event_size_in_mb` (PoD services, 1-128)': (c) => String(c.pod!.services[0]!.maxEventBytes / 1048576),
  '`inputs.proofpoint_casb.requests_per_second`': (c) => String(c.casb!.requestsPerSecond),
  '`inputs.proofpoint_casb.max_response_size_in_mb` (1-1024)': (c) => String(c.casb!.maxResponseBytes! / 1048576),
  '`globals.queue_max_size_in_messages` (1-100 000), `globals.queue_max_size_in_mb` (1-5120)': (c) =>
    `${c.inFlight.maxEvents.toLocaleString('en').replace(/,/g, ' ')}, ${c.inFlight.maxBytes / 1048576}`,
  '`globals.sender_stats_period_in_sec`, `outputs.<name>.config.period_sender_stats_in_seconds`': (c) => String(c.output.senderStatsPeriodMs / 1000),
  '`inputs.proofpoint_casb.services.<alerts\\|events>.request_period_in_seconds`': (c) => String(c.casb!.services[0]!.requestPeriodMs / 1000),
};
/** Default cells that state no value. */
const NO_VALUE = new Set(['', 'required', 'none', "machine's", 'off; address `127.0.0.1`']);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces made hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

describe('the docs and the code in step', () => {
  it('the README is a front page: the two commands first, at most 150 lines, a link to every docs page, CHANGELOG.md and SECURITY.md', async () => {
    const text = await readme();
    const lines = text.split('\n');
    // CI (.ci/run) and newcomers start from these lines.
    expect(lines.slice(0, 6)).to.deep.equal([
      '# proofpoint-devo-collector',
      '',
      '```sh',
      'npm ci && npm start   # demo: simulated Proofpoint, a local Devo-compatible receiver, no credentials',
      'npm test              # the whole test suite (builds first)',
      '```',
    ]);
    expect(lines.length, 'README lines').to.be.at.most(150);
    const targets = new Set([...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!));
    const pages = (await allPages()).filter((p) => p !== 'README.md');
    expect(pages).to.include.members([
      'docs/running.md',
      'docs/configuration.md',
      'docs/delivery.md',
      'docs/metrics-and-health.md',
      'docs/errors.md',
      'docs/multiprocessing.md',
      'docs/event-journey.md',
      'docs/development.md',
    ]);
    expect(
      [...pages, 'CHANGELOG.md', 'SECURITY.md'].filter((p) => !targets.has(p)),
      'pages the README does not link',
    ).to.deep.equal([]);
  });

  it('every relative link of the README and the docs pages leads to a file, and an anchor to a heading of it', async () => {
    const broken: string[] = [];
    for (const from of await allPages()) {
      for (const [, target] of (await page(from)).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [file, anchor] = target!.split('#') as [string, string | undefined];
        const to = file === '' ? from : path.posix.normalize(path.posix.join(path.posix.dirname(from), file));
        const text = await page(to).catch(() => undefined);
        if (text === undefined) broken.push(`${from}: ${target} (no file ${to})`);
        else if (anchor !== undefined && !text.split('\n').some((l) => /^#+ /.test(l) && anchorOf(l.replace(/^#+ /, '')) === anchor))
          broken.push(`${from}: ${target} (no heading #${anchor} in ${to})`);
      }
    }
    expect(broken).to.deep.equal([]);
  });

  it('every source file the README and the docs pages name exists', async () => {
    const missing: string[] = [];
    for (const from of await allPages()) {
      for (const [, file] of (await page(from)).matchAll(/`((?:lib|pipelines|spec|bench|chaos)\/[\w./-]+\.ts)(?::[\d,-]+)?`/g)) {
        if ((await page(file!).catch(() => undefined)) === undefined) missing.push(`${from}: ${file}`);
      }
    }
    expect(missing).to.deep.equal([]);
  });

  it('the error codes, the settings, the metrics and the delivery tables each have one home', async () => {
    const homes: Array<[string, string]> = [
      ['| Code | Meaning | What to do |', 'docs/errors.md'],
      ['| Path | Meaning | Default |', 'docs/configuration.md'],
      ['| Metric | Type | What |', 'docs/metrics-and-health.md'],
      ['| Cause | How many |', 'docs/delivery.md'],
      ['| Cause | What |', 'docs/delivery.md'],
    ];
    const texts = await Promise.all((await allPages()).map(async (p) => [p, await page(p)] as const));
    for (const [header, home] of homes)
      expect(
        texts.filter(([, t]) => t.split('\n').includes(header)).map(([p]) => p),
        header,
      ).to.deep.equal([home]);
  });

  it('docs/errors.md lists every error code, and nothing else', async () => {
    const documented = table(await page('docs/errors.md'), '# Error codes').flatMap((row) => [...row[0]!.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!));
    expect([...documented].sort()).to.deep.equal([...ERROR_CODES].sort());
  });

  it("every default in the configuration table is the code's", async () => {
    const config = decodeConfig(MINIMAL, { baseDir: '/tmp/docs' });
    const unchecked: string[] = [];
    for (const [setting, , stated] of table(await page('docs/configuration.md'), '# Configuration')) {
      if (NO_VALUE.has(stated!)) continue;
      const check = DEFAULTS[setting!];
      if (check === undefined) {
        unchecked.push(setting!);
        continue;
      }
      expect(stated!.replace(/\s*\(.*$/, ''), setting).to.equal(check(config));
    }
    expect(unchecked, 'rows with a default the spec does not check').to.deep.equal([]);
  });

  it("docs/metrics-and-health.md lists every metric of the collector's, and nothing else", async () => {
    const telemetry = new CollectorTelemetry({ id: '1', name: 'c' });
    telemetry.service('proofpoint_on_demand', '7', 'message');
    telemetry.casbInput('3');
    const defaultsOnly = new Registry();
    collectDefaultMetrics({ register: defaultsOnly, prefix: METRIC_PREFIX });
    const defaults = new Set((await defaultsOnly.getMetricsAsJSON()).map((m) => m.name));
    const exported = (await new PrometheusMetrics(telemetry).registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => !defaults.has(n));
    const documented = table(await page('docs/metrics-and-health.md'), '## Metrics').flatMap((row) =>
      [...row[0]!.matchAll(/`([a-z0-9_]+)(?:\{[^}]*\})?`/g)].map((m) => `${METRIC_PREFIX}${m[1]!}`),
    );
    expect([...documented].sort()).to.deep.equal([...exported].sort());
  });

  it("the defaults stated in the prose are the code's, each on its page alone", async () => {
    const texts = new Map<string, string>();
    for (const p of await allPages()) texts.set(p, (await page(p)).replace(/\s+/g, ' '));
    const sender = resolveSenderOptions({ host: 'h', port: 1, ca: '', cert: '', key: '' }, silentLogger, {
      now: () => 0,
      schedule: () => ({ unsubscribe: () => undefined }),
    } as never);
    const mib = (bytes: number) => `${bytes / 1048576} MiB`;
    const statements: Array<[string, RegExp, string]> = [
      [
        'docs/proofpoint-on-demand.md',
        /sort within (\d+ ms) \(at most ([\d ]+) events and (\d+ MiB)\)/,
        `${POD_DEFAULT_TUNING.sortMaxDelayMs} ms|${POD_DEFAULT_TUNING.sortMaxItems.toLocaleString('en').replace(/,/g, ' ')}|${mib(POD_DEFAULT_TUNING.sortMaxBytes)}`,
      ],
      [
        'docs/proofpoint-on-demand.md',
        /A ping every (\d+ s); a session without a pong for (\d+ s)/,
        `${POD_DEFAULT_TUNING.pingIntervalMs / 1000} s|${POD_DEFAULT_TUNING.pongTimeoutMs / 1000} s`,
      ],
      ['docs/delivery.md', /at most every (\d+ ms) for PoD/, `${POD_DEFAULT_TUNING.commitIntervalMs} ms`],
      ['docs/delivery.md', /plus (\d+ ms) of PoD commits/, `${POD_DEFAULT_TUNING.commitIntervalMs} ms`],
      ['docs/delivery.md', /closed when idle for (\d+ s)/, `${sender.idleTimeoutMs / 1000} s`],
      ['docs/delivery.md', /when a batch has waited (\d+ s)/, `${sender.confirmAfterMs / 1000} s`],
      ['docs/delivery.md', /(\d+ MiB) \(the resend window\)/, mib(sender.resendWindowBytes)],
      ['docs/proofpoint-casb.md', /`Retry-After` \(seconds or an HTTP date\), at most (\d+ hours?)/, `${CASB_RETRY_AFTER_MAX_MS / 3_600_000} hour`],
    ];
    for (const [home, pattern, expected] of statements) {
      const match = pattern.exec(texts.get(home) ?? '');
      expect(match, `${home} states ${pattern}`).not.to.equal(null);
      expect(match!.slice(1).join('|'), String(pattern)).to.equal(expected);
      expect(
        [...texts].filter(([p, t]) => p !== home && pattern.test(t)).map(([p]) => p),
        `${pattern} elsewhere than ${home}`,
      ).to.deep.equal([]);
    }
  });
});
