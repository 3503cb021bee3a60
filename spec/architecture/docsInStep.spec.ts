import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { CollectorConfig, DevoOutputConfig } from '../../lib/config/collectorConfig';
import { decodeConfig } from '../../lib/config/loadConfig';
import { ERROR_CODES } from '../../lib/errors/collectorError';
import { silentLogger } from '../../lib/log/logger';
import { resolveSenderOptions } from '../../lib/sinks/devoSenderOptions';
import { CASB_RETRY_AFTER_MAX_MS } from '../../lib/sources/casbClient';
import { POD_DEFAULT_TUNING } from '../../pipelines/podTuning';

const ROOT = path.join(__dirname, '..', '..', '..');
const readme = () => readFile(path.join(ROOT, 'README.md'), 'utf8');

/** The rows of the first table after `heading`, as cells. */
function table(text: string, heading: string): string[][] {
  const start = text.indexOf(`\n${heading}\n`);
  expect(start, `README section ${heading}`).to.be.greaterThan(-1);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
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
  outputs: { devo_1: { type: 'devo_platform', config: { address: 'collector-us.devo.io', port: 443, type: 'SSL', chain: 'chain.crt', cert: 'c.crt', key: 'c.key' } } },
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
  '`globals.debug`': (c) => `\`${String(c.collector.debug)}\``,
  '`globals.multiprocessing`': (c) => `\`${String(c.collector.multiprocessing)}\``,
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

describe('the docs and the code in step', () => {
  it('the README and docs/outputs.md list every error code, and nothing else, in "Error codes"', async () => {
    const codes = (text: string) => table(text, '## Error codes').flatMap((row) => [...row[0]!.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!));
    const documented = [...codes(await readme()), ...codes(await readFile(path.join(ROOT, 'docs', 'outputs.md'), 'utf8'))];
    expect([...documented].sort()).to.deep.equal([...ERROR_CODES].sort());
  });

  it("every default in the configuration table is the code's", async () => {
    const config = decodeConfig(MINIMAL, { baseDir: '/tmp/docs' });
    const unchecked: string[] = [];
    for (const [setting, , stated] of table(await readme(), '## Configuration')) {
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

  it("the defaults stated in the prose are the code's", async () => {
    const text = (await readme()).replace(/\s+/g, ' ');
    const sender = resolveSenderOptions({ host: 'h', port: 1, ca: '', cert: '', key: '' }, silentLogger, { now: () => 0, schedule: () => ({ unsubscribe: () => undefined }) } as never);
    const mib = (bytes: number) => `${bytes / 1048576} MiB`;
    const statements: Array<[RegExp, string]> = [
      [
        /sort within (\d+ ms) \(at most ([\d ]+) events and (\d+ MiB)\)/,
        `${POD_DEFAULT_TUNING.sortMaxDelayMs} ms|${POD_DEFAULT_TUNING.sortMaxItems.toLocaleString('en').replace(/,/g, ' ')}|${mib(POD_DEFAULT_TUNING.sortMaxBytes)}`,
      ],
      [/A ping every (\d+ s); a session without a pong for (\d+ s)/, `${POD_DEFAULT_TUNING.pingIntervalMs / 1000} s|${POD_DEFAULT_TUNING.pongTimeoutMs / 1000} s`],
      [/at most every (\d+ ms) for PoD/, `${POD_DEFAULT_TUNING.commitIntervalMs} ms`],
      [/plus (\d+ ms) of PoD commits/, `${POD_DEFAULT_TUNING.commitIntervalMs} ms`],
      [/closed when idle for (\d+ s)/, `${sender.idleTimeoutMs / 1000} s`],
      [/when a batch has waited (\d+ s)/, `${sender.confirmAfterMs / 1000} s`],
      [/(\d+ MiB) \(the resend window\)/, mib(sender.resendWindowBytes)],
      [/`Retry-After` \(seconds or an HTTP date\), at most (\d+ hours?)/, `${CASB_RETRY_AFTER_MAX_MS / 3_600_000} hour`],
    ];
    for (const [pattern, expected] of statements) {
      const match = pattern.exec(text);
      expect(match, `the README states ${pattern}`).not.to.equal(null);
      expect(match!.slice(1).join('|'), String(pattern)).to.equal(expected);
    }
  });
});
