import { expect } from 'chai';
import { catchUpTime, decidePodCatchUp, initialCatchUpFloor } from '../../../pipelines/pod/podCatchUp';
import { POD_STATE_MIGRATIONS } from '../../../pipelines/pod/podState';

const HOUR = 3_600_000;
const now = Date.UTC(2024, 4, 22, 19, 30);
const lastEvent = Date.UTC(2024, 4, 22, 17, 42, 10, 5);

describe('decidePodCatchUp', () => {
  it('streams live on a first run without start_time, and catches up from start_time when there is one', () => {
    expect(
      decidePodCatchUp({ now, persisted: undefined, configuredStartTime: undefined, lastEventTime: undefined, lastSessionEnd: undefined }).sinceTime,
    ).to.equal(undefined);
    const d = decidePodCatchUp({
      now,
      persisted: undefined,
      configuredStartTime: Date.UTC(2024, 4, 20, 8, 59),
      lastEventTime: undefined,
      lastSessionEnd: undefined,
    });
    expect(d.sinceTime).to.equal(Date.UTC(2024, 4, 20, 8));
    expect(d.reason).to.match(/first run.*start_time/);
  });

  it('sends no sinceTime after a clean stop less than an hour ago', () => {
    const d = decidePodCatchUp({
      now,
      persisted: { lastEventTime: lastEvent, catchUpFrom: Date.UTC(2024, 4, 22, 17), cleanStop: true, stoppedAt: now - 20 * 60_000, configuredStartTime: null },
      configuredStartTime: undefined,
      lastEventTime: lastEvent,
      lastSessionEnd: undefined,
    });
    expect(d).to.deep.equal({ sinceTime: undefined, reason: 'clean stop 20 min ago: the server resumes' });
  });

  it('catches up from the catch-up floor after an unclean stop (the earliest event that may not have been delivered), not the last delivered event', () => {
    const d = decidePodCatchUp({
      now,
      persisted: { lastEventTime: lastEvent, catchUpFrom: Date.UTC(2024, 4, 22, 16), cleanStop: false, stoppedAt: now - 60_000, configuredStartTime: null },
      configuredStartTime: undefined,
      lastEventTime: lastEvent,
      lastSessionEnd: undefined,
    });
    expect(d.sinceTime).to.equal(Date.UTC(2024, 4, 22, 16));
    expect(d.reason).to.equal(
      'the previous run did not stop cleanly: catching up from 2024-05-22T16:00:00.000Z, the hour of the earliest event it may not have delivered',
    );
  });

  it('after a run that delivered nothing (a crash loop), catches up from the floor the first run of the loop wrote, not the hour the last one started', () => {
    // The floor was written before anything was delivered, an hour before the loop began; every
    // later start of the loop kept it (see initialCatchUpFloor).
    const d = decidePodCatchUp({
      now,
      persisted: { lastEventTime: null, catchUpFrom: Date.UTC(2024, 4, 22, 17), cleanStop: false, stoppedAt: now - 5_000, configuredStartTime: null },
      configuredStartTime: undefined,
      lastEventTime: undefined,
      lastSessionEnd: undefined,
    });
    expect(d.sinceTime).to.equal(Date.UTC(2024, 4, 22, 17));
  });

  it('without a floor (nothing ever received), after an unclean stop: from the last delivered event, else as a first run', () => {
    const persisted = { lastEventTime: null, catchUpFrom: null, cleanStop: false, stoppedAt: now - 5_000, configuredStartTime: null };
    expect(decidePodCatchUp({ now, persisted, configuredStartTime: undefined, lastEventTime: undefined, lastSessionEnd: undefined }).sinceTime).to.equal(
      undefined,
    );
    expect(
      decidePodCatchUp({ now, persisted, configuredStartTime: Date.UTC(2024, 4, 22, 10, 5), lastEventTime: undefined, lastSessionEnd: undefined }).sinceTime,
    ).to.equal(Date.UTC(2024, 4, 22, 10));
  });

  it('does not trust a clean stop stamped in the future (a clock corrected since): it catches up from the floor', () => {
    const d = decidePodCatchUp({
      now,
      persisted: { lastEventTime: lastEvent, catchUpFrom: Date.UTC(2024, 4, 22, 17), cleanStop: true, stoppedAt: now + 3 * HOUR, configuredStartTime: null },
      configuredStartTime: undefined,
      lastEventTime: lastEvent,
      lastSessionEnd: undefined,
    });
    expect(d.sinceTime).to.equal(Date.UTC(2024, 4, 22, 17));
    expect(d.reason).to.match(
      /^the last stop is stamped in the future \(2024-05-22T22:30:00\.000Z: was the clock corrected\?\): catching up from 2024-05-22T17:00:00\.000Z/,
    );
    // A few minutes ahead is clock skew, not a correction: trusted.
    const skewed = decidePodCatchUp({
      now,
      persisted: { lastEventTime: lastEvent, catchUpFrom: Date.UTC(2024, 4, 22, 17), cleanStop: true, stoppedAt: now + 60_000, configuredStartTime: null },
      configuredStartTime: undefined,
      lastEventTime: lastEvent,
      lastSessionEnd: undefined,
    });
    expect(skewed.sinceTime).to.equal(undefined);
  });

  it('catches up after a clean stop more than an hour ago', () => {
    const d = decidePodCatchUp({
      now,
      persisted: { lastEventTime: lastEvent, catchUpFrom: Date.UTC(2024, 4, 22, 17), cleanStop: true, stoppedAt: now - 2 * HOUR, configuredStartTime: null },
      configuredStartTime: undefined,
      lastEventTime: lastEvent,
      lastSessionEnd: undefined,
    });
    expect(d.sinceTime).to.equal(Date.UTC(2024, 4, 22, 17));
    expect(d.reason).to.match(/stopped 120 min ago/);
  });

  it('catches up from a new or changed start_time, but not from one a migrated state did not record', () => {
    const base = { lastEventTime: lastEvent, catchUpFrom: Date.UTC(2024, 4, 22, 17), cleanStop: true, stoppedAt: now - 60_000 };
    const start = Date.UTC(2024, 4, 1, 3, 15);
    const changed = decidePodCatchUp({
      now,
      persisted: { ...base, configuredStartTime: Date.UTC(2024, 3, 1) },
      configuredStartTime: start,
      lastEventTime: lastEvent,
      lastSessionEnd: undefined,
    });
    expect(changed.sinceTime).to.equal(Date.UTC(2024, 4, 1, 3));
    expect(changed.reason).to.match(/changed/);
    const added = decidePodCatchUp({
      now,
      persisted: { ...base, configuredStartTime: null },
      configuredStartTime: start,
      lastEventTime: lastEvent,
      lastSessionEnd: undefined,
    });
    expect(added.reason).to.match(/new/);
    const same = decidePodCatchUp({
      now,
      persisted: { ...base, configuredStartTime: start },
      configuredStartTime: start,
      lastEventTime: lastEvent,
      lastSessionEnd: undefined,
    });
    expect(same.sinceTime).to.equal(undefined);
    const migrated = decidePodCatchUp({ now, persisted: base, configuredStartTime: start, lastEventTime: lastEvent, lastSessionEnd: undefined });
    expect(migrated.sinceTime).to.equal(undefined);
  });

  it('within a process: resumes within the hour, catches up after a longer gap', () => {
    const persisted = { lastEventTime: lastEvent, catchUpFrom: Date.UTC(2024, 4, 22, 17), cleanStop: false, stoppedAt: null, configuredStartTime: null };
    expect(
      decidePodCatchUp({ now, persisted, configuredStartTime: undefined, lastEventTime: lastEvent, lastSessionEnd: now - 59 * 60_000 }).sinceTime,
    ).to.equal(undefined);
    expect(
      decidePodCatchUp({ now, persisted, configuredStartTime: undefined, lastEventTime: lastEvent, lastSessionEnd: now - 61 * 60_000 }).sinceTime,
    ).to.equal(Date.UTC(2024, 4, 22, 17));
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
    ['an unclean run (its floor from an older version, in 2099): the current hour at most', null, undefined, Date.UTC(2024, 4, 22, 19)],
    ['a gap of over an hour in this process: the current hour at most', null, now - 2 * HOUR, Date.UTC(2024, 4, 22, 19)],
  ];
  for (const [what, stoppedAt, lastSessionEnd, expected] of cases) {
    it(what, () => {
      const persisted = {
        lastEventTime: future,
        catchUpFrom: stoppedAt === null ? future : null,
        cleanStop: stoppedAt !== null,
        stoppedAt,
        configuredStartTime: null,
      };
      const d = decidePodCatchUp({ now, persisted, configuredStartTime: undefined, lastEventTime: future, lastSessionEnd });
      expect(d.sinceTime).to.equal(expected);
      expect(d.sinceTime! % HOUR).to.equal(0);
      expect(d.sinceTime!).to.be.at.most(now);
    });
  }
});

describe('initialCatchUpFloor (written before a run delivers anything)', () => {
  const live = { sinceTime: undefined, reason: '' };
  it('is where the first session catches up from, when it does', () => {
    const persisted = { lastEventTime: lastEvent, catchUpFrom: Date.UTC(2024, 4, 22, 15), cleanStop: false, stoppedAt: null, configuredStartTime: null };
    expect(initialCatchUpFloor({ sinceTime: Date.UTC(2024, 4, 22, 15), reason: '' }, persisted, now)).to.equal(Date.UTC(2024, 4, 22, 15));
  });
  it("keeps a clean stop's floor when the session resumes without sinceTime", () => {
    const persisted = { lastEventTime: lastEvent, catchUpFrom: Date.UTC(2024, 4, 22, 17), cleanStop: true, stoppedAt: now - 60_000, configuredStartTime: null };
    expect(initialCatchUpFloor(live, persisted, now)).to.equal(Date.UTC(2024, 4, 22, 17));
  });
  it('knowing nothing (a first run streaming live), is an hour back: a resumed session may send events of up to an hour ago', () => {
    expect(initialCatchUpFloor(live, undefined, now)).to.equal(Date.UTC(2024, 4, 22, 18));
  });
});

describe('the PoD state migration from version 2 to 3', () => {
  const migrate = POD_STATE_MIGRATIONS[2]!;
  it('sets the floor where version 2 caught up from: the last delivered event, else the start of an unclean run that delivered nothing', () => {
    expect(migrate({ lastEventTime: lastEvent, cleanStop: true, stoppedAt: now, configuredStartTime: null })).to.deep.equal({
      lastEventTime: lastEvent,
      cleanStop: true,
      stoppedAt: now,
      configuredStartTime: null,
      catchUpFrom: Date.UTC(2024, 4, 22, 17),
    });
    expect(migrate({ lastEventTime: null, cleanStop: false, stoppedAt: Date.UTC(2024, 4, 22, 18, 50) })).to.include({ catchUpFrom: Date.UTC(2024, 4, 22, 18) });
    expect(migrate({ lastEventTime: null, cleanStop: true, stoppedAt: now })).to.include({ catchUpFrom: null });
  });
});
