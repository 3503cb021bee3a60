import { expect } from 'chai';
import { catchUpTime, decidePodCatchUp } from '../../pipelines/podCatchUp';

const HOUR = 3_600_000;
const now = Date.UTC(2024, 4, 22, 19, 30);
const lastEvent = Date.UTC(2024, 4, 22, 17, 42, 10, 5);

describe('decidePodCatchUp', () => {
  it('streams live on a first run without start_time, and catches up from start_time when there is one', () => {
    expect(decidePodCatchUp({ now, persisted: undefined, configuredStartTime: undefined, lastEventTime: undefined, lastSessionEnd: undefined }).sinceTime).to.equal(undefined);
    const d = decidePodCatchUp({ now, persisted: undefined, configuredStartTime: Date.UTC(2024, 4, 20, 8, 59), lastEventTime: undefined, lastSessionEnd: undefined });
    expect(d.sinceTime).to.equal(Date.UTC(2024, 4, 20, 8));
    expect(d.reason).to.match(/first run.*start_time/);
  });

  it('sends no sinceTime after a clean stop less than an hour ago', () => {
    const d = decidePodCatchUp({
      now,
      persisted: { lastEventTime: lastEvent, cleanStop: true, stoppedAt: now - 20 * 60_000, configuredStartTime: null },
      configuredStartTime: undefined,
      lastEventTime: lastEvent,
      lastSessionEnd: undefined,
    });
    expect(d).to.deep.equal({ sinceTime: undefined, reason: 'clean stop 20 min ago: the server resumes' });
  });

  it('catches up from the hour of the last delivered event after an unclean stop', () => {
    const d = decidePodCatchUp({
      now,
      persisted: { lastEventTime: lastEvent, cleanStop: false, stoppedAt: now - 60_000, configuredStartTime: null },
      configuredStartTime: undefined,
      lastEventTime: lastEvent,
      lastSessionEnd: undefined,
    });
    expect(d.sinceTime).to.equal(Date.UTC(2024, 4, 22, 17));
    expect(d.reason).to.match(/did not stop cleanly/);
  });

  it('after an unclean run that delivered nothing, catches up from the hour that run started', () => {
    const started = Date.UTC(2024, 4, 22, 18, 50);
    const d = decidePodCatchUp({
      now,
      persisted: { lastEventTime: null, cleanStop: false, stoppedAt: started, configuredStartTime: null },
      configuredStartTime: undefined,
      lastEventTime: undefined,
      lastSessionEnd: undefined,
    });
    expect(d.sinceTime).to.equal(Date.UTC(2024, 4, 22, 18));
    expect(d.reason).to.match(/delivered nothing: catching up from the hour it started/);
  });

  it('catches up after a clean stop more than an hour ago', () => {
    const d = decidePodCatchUp({
      now,
      persisted: { lastEventTime: lastEvent, cleanStop: true, stoppedAt: now - 2 * HOUR, configuredStartTime: null },
      configuredStartTime: undefined,
      lastEventTime: lastEvent,
      lastSessionEnd: undefined,
    });
    expect(d.sinceTime).to.equal(Date.UTC(2024, 4, 22, 17));
    expect(d.reason).to.match(/stopped 120 min ago/);
  });

  it('catches up from a new or changed start_time, but not from one a migrated state did not record', () => {
    const base = { lastEventTime: lastEvent, cleanStop: true, stoppedAt: now - 60_000 };
    const start = Date.UTC(2024, 4, 1, 3, 15);
    const changed = decidePodCatchUp({ now, persisted: { ...base, configuredStartTime: Date.UTC(2024, 3, 1) }, configuredStartTime: start, lastEventTime: lastEvent, lastSessionEnd: undefined });
    expect(changed.sinceTime).to.equal(Date.UTC(2024, 4, 1, 3));
    expect(changed.reason).to.match(/changed/);
    const added = decidePodCatchUp({ now, persisted: { ...base, configuredStartTime: null }, configuredStartTime: start, lastEventTime: lastEvent, lastSessionEnd: undefined });
    expect(added.reason).to.match(/new/);
    const same = decidePodCatchUp({ now, persisted: { ...base, configuredStartTime: start }, configuredStartTime: start, lastEventTime: lastEvent, lastSessionEnd: undefined });
    expect(same.sinceTime).to.equal(undefined);
    const migrated = decidePodCatchUp({ now, persisted: base, configuredStartTime: start, lastEventTime: lastEvent, lastSessionEnd: undefined });
    expect(migrated.sinceTime).to.equal(undefined);
  });

  it('within a process: resumes within the hour, catches up after a longer gap', () => {
    const persisted = { lastEventTime: lastEvent, cleanStop: false, stoppedAt: null, configuredStartTime: null };
    expect(decidePodCatchUp({ now, persisted, configuredStartTime: undefined, lastEventTime: lastEvent, lastSessionEnd: now - 59 * 60_000 }).sinceTime).to.equal(undefined);
    expect(decidePodCatchUp({ now, persisted, configuredStartTime: undefined, lastEventTime: lastEvent, lastSessionEnd: now - 61 * 60_000 }).sinceTime).to.equal(Date.UTC(2024, 4, 22, 17));
  });

  it('clamps to 30 days back and rounds down to the hour (UTC)', () => {
    expect(catchUpTime(now - 40 * 24 * HOUR, now)).to.equal(Math.ceil((now - 30 * 24 * HOUR) / HOUR) * HOUR);
    expect(catchUpTime(Date.UTC(2024, 4, 22, 10, 59, 59, 999), now)).to.equal(Date.UTC(2024, 4, 22, 10));
  });

  it('is always a whole hour in the past: never later than the current hour, whatever the cursor', () => {
    for (const time of [now + HOUR, now + 1, Date.UTC(2099, 0, 1), now]) {
      expect(catchUpTime(time, now)).to.equal(Date.UTC(2024, 4, 22, 19));
    }
  });
});

describe('decidePodCatchUp with a cursor ahead of the clock (an event stamped in the future)', () => {
  const future = Date.UTC(2099, 0, 1);
  // [case, persisted stoppedAt, last session end in this process, expected sinceTime]
  const cases: Array<[string, number | null, number | undefined, number]> = [
    ['a clean stop two hours ago: the cursor is cut to that stop (+5 min)', now - 2 * HOUR, undefined, Date.UTC(2024, 4, 22, 17)],
    ['an unclean run that recorded no stop: the cursor is cut to now, the current hour', null, undefined, Date.UTC(2024, 4, 22, 19)],
    ['a gap of over an hour in this process: the current hour at most', null, now - 2 * HOUR, Date.UTC(2024, 4, 22, 19)],
  ];
  for (const [what, stoppedAt, lastSessionEnd, expected] of cases) {
    it(what, () => {
      const persisted = { lastEventTime: future, cleanStop: stoppedAt !== null, stoppedAt, configuredStartTime: null };
      const d = decidePodCatchUp({ now, persisted, configuredStartTime: undefined, lastEventTime: future, lastSessionEnd });
      expect(d.sinceTime).to.equal(expected);
      expect(d.sinceTime! % HOUR).to.equal(0);
      expect(d.sinceTime!).to.be.at.most(now);
    });
  }
});
