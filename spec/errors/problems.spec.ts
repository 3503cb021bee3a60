import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { CollectorError, ERROR_CODES } from '../../lib/errors/collectorError';
import { PROBLEMS, problemText } from '../../lib/errors/problems';
import { createLogger } from '../../lib/log/logger';
import { reportError } from '../../lib/log/reportError';
import { CollectorTelemetry } from '../../lib/telemetry/collectorTelemetry';
import { PrometheusMetrics } from '../../lib/telemetry/prometheusMetrics';

const ROOT = path.join(__dirname, '..', '..', '..');

describe('problems (one registry of codes, reported as typed values)', () => {
  it('the registry and docs/errors.md hold the same codes, both ways', async () => {
    const page = await readFile(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
    const rows = page.split('\n').filter((l) => l.startsWith('| `'));
    const documented = new Set(rows.flatMap((l) => [...l.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!)));
    expect([...documented].sort()).to.deep.equal(Object.keys(PROBLEMS).sort());
    expect(ERROR_CODES).to.deep.equal(Object.keys(PROBLEMS));
  });

  it('a problem is one line, CODE: message, at its registry level', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l), now: () => 0 });
    logger.problem('POD_PONG_TIMEOUT', 'no pong for 60 s');
    logger.problem('STATE_WRITE_FAILED', () => 'disk full');
    expect(lines).to.deep.equal([
      '1970-01-01T00:00:00.000Z WARNING MainProcess::MainThread -> POD_PONG_TIMEOUT: no pong for 60 s',
      '1970-01-01T00:00:00.000Z ERROR MainProcess::MainThread -> STATE_WRITE_FAILED: disk full',
    ]);
    expect(problemText('EVENT_TIME_INVALID', 'ts: not a time')).to.equal('EVENT_TIME_INVALID: ts: not a time');
  });

  it("a service's logger records each problem typed for /status and counts it for /metrics; no code is parsed out of text", async () => {
    const telemetry = new CollectorTelemetry({ id: '1', name: 'acme' });
    const service = telemetry.service('proofpoint_on_demand', '7', 'message');
    const lines: string[] = [];
    const logger = service.logger(createLogger({ write: (l) => lines.push(l) }));
    logger.problem('POD_CONNECTION_LOST', 'the message session ended abnormally (code 1006)');
    logger.warn('POD_HANDSHAKE_409: a warning that merely looks coded is no problem of the registry');
    expect(service.lastError).to.include({ code: 'POD_CONNECTION_LOST', message: 'the message session ended abnormally (code 1006)' });
    reportError(logger, new CollectorError('POD_HANDSHAKE_401', 'token refused'), '. Retrying in 5 s');
    expect(lines.at(-1)).to.match(/ ERROR .* -> POD_HANDSHAKE_401: token refused\. Retrying in 5 s$/);
    reportError(logger, new Error('plain'));
    expect(service.lastError).to.include({ code: undefined, message: 'plain' });
    expect([...service.problemCounts]).to.deep.equal([
      ['POD_CONNECTION_LOST', 1],
      ['POD_HANDSHAKE_401', 1],
    ]);
    const text = await new PrometheusMetrics(telemetry).text();
    expect(text).to.match(/^proofpoint_devo_problems_total\{[^}]*code="POD_HANDSHAKE_401"[^}]*\} 1$/m);
    expect(text).not.to.match(/problems_total\{[^}]*code="POD_HANDSHAKE_409"/);
  });
});
