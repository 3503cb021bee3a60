import { expect } from 'chai';
import { formatPullStats, PullStats } from '../../lib/stats/pullStats';

describe('PullStats', () => {
  it("gives the period's figures and resets them", () => {
    let now = 0;
    const stats = new PullStats(() => now);
    stats.requests = 1;
    stats.received = 12;
    stats.duplicates = 2;
    stats.sent = 10;
    now = 4000;
    expect(stats.take()).to.deep.equal({ requests: 1, received: 12, duplicates: 2, deadLettered: 0, sent: 10, forgottenEarly: 0, seconds: 4 });
    now = 5000;
    expect(stats.take()).to.deep.equal({ requests: 0, received: 0, duplicates: 0, deadLettered: 0, sent: 0, forgottenEarly: 0, seconds: 1 });
  });

  it("formats the seeds' line, adding dead letters only when there are some", () => {
    expect(formatPullStats({ requests: 1, received: 0, duplicates: 0, deadLettered: 0, sent: 0, forgottenEarly: 0, seconds: 0 }, 'Statistics for this pull cycle (@devo_pulling_id=1673878580026)')).to.equal(
      'Statistics for this pull cycle (@devo_pulling_id=1673878580026):Number of requests made: 1; Number of events received: 0; Number of duplicated events filtered out: 0; Number of events generated and sent: 0; Average of events per second: 0.000.',
    );
    expect(formatPullStats({ requests: 2, received: 45, duplicates: 0, deadLettered: 5, sent: 40, forgottenEarly: 0, seconds: 3 }, 'S')).to.equal(
      'S:Number of requests made: 2; Number of events received: 45; Number of duplicated events filtered out: 0; Number of events dead-lettered: 5; Number of events generated and sent: 40; Average of events per second: 13.333.',
    );
    expect(formatPullStats({ requests: 2, received: 45, duplicates: 0, deadLettered: 0, sent: 45, forgottenEarly: 7, seconds: 3 }, 'S')).to.equal(
      'S:Number of requests made: 2; Number of events received: 45; Number of duplicated events filtered out: 0; Number of de-dup keys forgotten before the hour: 7; Number of events generated and sent: 45; Average of events per second: 15.000.',
    );
  });
});
