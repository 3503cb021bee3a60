import { expect } from 'chai';
import { formatPullStats, PullStats } from '../../lib/stats/pullStats';
import { ServiceCounters } from '../../lib/stats/serviceCounters';

describe('PullStats', () => {
  it("gives the period's figures as the counters' growth, and starts the next period", () => {
    let now = 0;
    const counters = new ServiceCounters();
    counters.received = 5; // before the period: not counted
    const stats = new PullStats(counters, () => now);
    counters.requests += 1;
    counters.received += 12;
    counters.duplicates += 2;
    counters.sent += 10;
    counters.bytesSent += 1000;
    now = 4000;
    expect(stats.peek()).to.deep.equal(stats.take());
    now = 5000;
    counters.received += 1;
    expect(stats.take()).to.deep.equal({
      requests: 0,
      received: 1,
      duplicates: 0,
      deadLettered: 0,
      sent: 0,
      bytesSent: 0,
      forgottenEarly: 0,
      pageTokenRepeats: 0,
      seconds: 1,
    });
    expect(counters.snapshot()).to.deep.equal({
      requests: 1,
      received: 18,
      duplicates: 2,
      deadLettered: 0,
      sent: 10,
      bytesSent: 1000,
      forgottenEarly: 0,
      pageTokenRepeats: 0,
    });
  });

  it('a second view over the same counters (a CASB cycle) sees only what happened since it started', () => {
    const counters = new ServiceCounters();
    const service = new PullStats(counters, () => 0);
    counters.sent += 3;
    const cycle = new PullStats(counters, () => 0);
    counters.sent += 4;
    expect(cycle.peek().sent).to.equal(4);
    expect(service.peek().sent).to.equal(7);
  });

  it('adds a note after the line when given', () => {
    const line = formatPullStats(
      { requests: 2, received: 3, duplicates: 0, deadLettered: 0, sent: 5, bytesSent: 0, forgottenEarly: 0, pageTokenRepeats: 0, seconds: 1 },
      'S',
      '(Note.)',
    );
    expect(line).to.match(/Number of events generated and sent: 5; Average of events per second: 5\.000\. \(Note\.\)$/);
  });

  it("formats the seeds' line, adding dead letters only when there are some", () => {
    expect(
      formatPullStats(
        { requests: 1, received: 0, duplicates: 0, deadLettered: 0, sent: 0, bytesSent: 0, forgottenEarly: 0, pageTokenRepeats: 0, seconds: 0 },
        'Statistics for this pull cycle (@devo_pulling_id=1673878580026)',
      ),
    ).to.equal(
      'Statistics for this pull cycle (@devo_pulling_id=1673878580026):Number of requests made: 1; Number of events received: 0; Number of duplicated events filtered out: 0; Number of events generated and sent: 0; Average of events per second: 0.000.',
    );
    expect(
      formatPullStats(
        { requests: 2, received: 45, duplicates: 0, deadLettered: 5, sent: 40, bytesSent: 0, forgottenEarly: 0, pageTokenRepeats: 0, seconds: 3 },
        'S',
      ),
    ).to.equal(
      'S:Number of requests made: 2; Number of events received: 45; Number of duplicated events filtered out: 0; Number of events dead-lettered: 5; Number of events generated and sent: 40; Average of events per second: 13.333.',
    );
    expect(
      formatPullStats(
        { requests: 2, received: 45, duplicates: 0, deadLettered: 0, sent: 45, bytesSent: 0, forgottenEarly: 7, pageTokenRepeats: 0, seconds: 3 },
        'S',
      ),
    ).to.equal(
      'S:Number of requests made: 2; Number of events received: 45; Number of duplicated events filtered out: 0; Number of de-dup keys forgotten before the hour: 7; Number of events generated and sent: 45; Average of events per second: 15.000.',
    );
  });
});
