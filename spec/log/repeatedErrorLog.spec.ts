import { expect } from 'chai';
import { CollectorError } from '../../lib/errors/collectorError';
import { createLogger } from '../../lib/log/logger';
import { RepeatedErrorLog } from '../../lib/log/repeatedErrorLog';

describe('RepeatedErrorLog', () => {
  it('logs a recurring error once per interval, with how often it recurred, and a new error at once', () => {
    let now = 0;
    const lines: string[] = [];
    const log = new RepeatedErrorLog(createLogger({ write: (l) => lines.push(l), now: () => now }), 1000, () => now);
    const disk = new CollectorError('STATE_WRITE_FAILED', 'disk full');
    log.report(disk);
    now = 200;
    log.report(disk);
    log.report(disk);
    now = 1200;
    log.report(disk);
    log.report(new Error('other'));
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).to.deep.equal([
      'ERROR MainProcess::MainThread -> STATE_WRITE_FAILED: disk full',
      'ERROR MainProcess::MainThread -> STATE_WRITE_FAILED: disk full (2 more time(s) since the last report)',
      'ERROR MainProcess::MainThread -> other',
    ]);
  });
});
