import { expect } from 'chai';
import { Subject } from 'rxjs';
import type { PodFrame } from '../../../lib/sources/podFrame';
import type { PodSourceEvent } from '../../../lib/sources/podSource';
import { ServiceTelemetry } from '../../../lib/telemetry/serviceTelemetry';
import { podFrames } from '../../../pipelines/pod/podFrames';
import { PodSessions } from '../../../pipelines/pod/podSessions';

const TS = '2024-05-22T12:00:00.000000+0000';
const frame = (text: string): PodSourceEvent => ({ kind: 'frame', data: Buffer.from(text), isBinary: false });
const open: PodSourceEvent = { kind: 'open', sinceTime: undefined };
const closed: PodSourceEvent = { kind: 'closed', code: 1006, reason: '' };

describe('podFrames (frames, sessions and their counters)', () => {
  let source: Subject<PodSourceEvent>;
  let telemetry: ServiceTelemetry;
  let sessions: PodSessions;
  let clock: number;
  let breaks: number;
  let dead: Array<[string, string]>;
  let skipped: number[];
  let out: PodFrame[];
  /** Each emission's keys: one array a turn. */
  let turns: string[][];
  let ended: unknown;

  beforeEach(() => {
    source = new Subject();
    clock = 1000;
    breaks = 0;
    dead = [];
    skipped = [];
    out = [];
    turns = [];
    ended = undefined;
    telemetry = new ServiceTelemetry('proofpoint_on_demand', '1', 'message', () => clock);
    sessions = new PodSessions({ telemetry, streamBroke: () => breaks++, now: () => clock });
  });

  const run = (deadLetter = (text: string, reason: string) => void dead.push([text, reason])) =>
    podFrames(source, {
      keyField: 'guid',
      limits: { maxBytes: 200, setting: 'max_event_size_in_mb' },
      sessions,
      deadLetter,
      onSkipped: (t) => void skipped.push(t),
    }).subscribe({
      next: (frames) => {
        out.push(...frames);
        turns.push(frames.map((f) => f.key));
      },
      error: (err: unknown) => (ended = err),
      complete: () => (ended = 'complete'),
    });

  it('completes with an empty source, counting nothing', () => {
    run();
    source.complete();
    expect(ended).to.equal('complete');
    expect(telemetry.counters.received).to.equal(0);
  });

  it('parses each frame, counting it before: a good one goes on, a bad one to the dead letter', async () => {
    run();
    source.next(frame(`{"guid":"g1","ts":"${TS}"}`));
    source.next(frame('{"guid":'));
    source.next(frame(`{"id":"x","ts":"${TS}"}`));
    await Promise.resolve();
    expect(out.map((f) => f.key)).to.deep.equal(['g1']);
    expect(dead.map(([, reason]) => reason)).to.have.length(2);
    expect(dead[1]![1]).to.equal("no guid (the event's unique key)");
    expect(telemetry.counters.received).to.equal(3);
    expect(skipped).to.deep.equal([]);
  });

  it('hands a valid event too large for the limit to the dead letter and its time to onSkipped', async () => {
    run();
    source.next(frame(`{"guid":"big","ts":"${TS}","pad":"${'x'.repeat(300)}"}`));
    await Promise.resolve();
    expect(out).to.deep.equal([]);
    expect(dead[0]![1]).to.match(/^POD_EVENT_TOO_LARGE/);
    expect(skipped).to.deep.equal([Date.UTC(2024, 4, 22, 12)]);
  });

  it('keeps the sessions: connected while open, a reconnect after the first, the end time and a stream break', () => {
    run();
    expect(sessions.lastEnd).to.equal(undefined);
    source.next(open);
    expect(telemetry.connected).to.equal(true);
    clock = 5000;
    source.next(closed);
    expect([telemetry.connected, sessions.lastEnd, breaks, telemetry.reconnects]).to.deep.equal([false, 5000, 1, 0]);
    source.next(open);
    expect([telemetry.connected, telemetry.reconnects]).to.deep.equal([true, 1]);
  });

  it('counts each attempt as a request, by outcome', () => {
    sessions.attempt('101');
    sessions.attempt('409');
    sessions.attempt('409');
    expect(telemetry.counters.requests).to.equal(3);
    expect([...telemetry.outcomes]).to.deep.include.members([
      ['101', 1],
      ['409', 2],
    ]);
  });

  it("emits one turn's events as one array once the turn is done; a session event or the end emits what came before it", async () => {
    run();
    source.next(frame(`{"guid":"a","ts":"${TS}"}`));
    source.next(frame(`{"guid":"b","ts":"${TS}"}`));
    // Nothing within the turn: the stages after pay one emission a read.
    expect(turns).to.deep.equal([]);
    await Promise.resolve();
    expect(turns).to.deep.equal([['a', 'b']]);
    source.next(frame(`{"guid":"c","ts":"${TS}"}`));
    clock = 2000;
    source.next(closed);
    // The session's end comes after the events before it (it flushes the sort window).
    expect([turns, breaks]).to.deep.equal([[['a', 'b'], ['c']], 1]);
    source.next(frame(`{"guid":"d","ts":"${TS}"}`));
    source.complete();
    expect([turns.at(-1), ended]).to.deep.equal([['d'], 'complete']);
    await Promise.resolve();
    expect(turns).to.have.length(3);
  });

  it('drops the turn when unsubscribed before it is done', async () => {
    const subscription = run();
    source.next(frame(`{"guid":"a","ts":"${TS}"}`));
    subscription.unsubscribe();
    await Promise.resolve();
    expect(turns).to.deep.equal([]);
  });

  it('errors with the source', () => {
    run();
    const boom = new Error('boom');
    source.error(boom);
    expect(ended).to.equal(boom);
  });

  it('errors when a callback throws', () => {
    const boom = new Error('dead letter full');
    run(() => {
      throw boom;
    });
    source.next(frame('not json'));
    expect(ended).to.equal(boom);
  });

  it('unsubscribes from the source when unsubscribed (an endless source)', () => {
    const subscription = run();
    expect(source.observed).to.equal(true);
    subscription.unsubscribe();
    expect(source.observed).to.equal(false);
  });
});
