import { expect } from 'chai';
import * as fc from 'fast-check';
import { podEvent, podEventKey, podEventTime, podIndexAtOrAfter, type PodEventType, type PodTimeline } from '../../lib/simulators/podEvents';
import { parseEventTime } from '../../lib/time/parseEventTime';
import { keysOf } from '../helpers/jsonKeys';

const TYPES: readonly PodEventType[] = ['message', 'maillog', 'audit'];
const timeline: PodTimeline = { startTime: Date.UTC(2024, 4, 22, 19, 10, 3, 58), intervalMs: 37.3, seed: 'spec' };
const bytes = (text: string) => Buffer.byteLength(text);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

describe('podEvents', () => {
  describe('podEventTime and podIndexAtOrAfter', () => {
    it('floors startTime + index * intervalMs', () => {
      expect(podEventTime({ startTime: 1000, intervalMs: 2.5 }, 0)).to.equal(1000);
      expect(podEventTime({ startTime: 1000, intervalMs: 2.5 }, 3)).to.equal(1007);
      expect(podEventTime({ startTime: 1000.9, intervalMs: 10 }, 1)).to.equal(1010);
    });

    it('finds the first index at or after a time, never negative', () => {
      const t = { startTime: 1000, intervalMs: 10 };
      expect(podIndexAtOrAfter(t, 1015)).to.equal(2);
      expect(podIndexAtOrAfter(t, 1020)).to.equal(2);
      expect(podIndexAtOrAfter(t, 1020.5)).to.equal(3);
      expect(podIndexAtOrAfter(t, 1000)).to.equal(0);
      expect(podIndexAtOrAfter(t, 0)).to.equal(0);
      expect(podIndexAtOrAfter(t, -Infinity)).to.equal(0);
    });

    it('podIndexAtOrAfter is the smallest index whose time is >= the time (property)', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 4_000_000_000_000 }),
          fc.double({ min: 0.001, max: 100_000, noNaN: true }),
          fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
          (startTime, intervalMs, delta) => {
            const t = { startTime, intervalMs };
            const time = startTime + delta;
            const index = podIndexAtOrAfter(t, time);
            expect(index).to.be.at.least(0);
            expect(podEventTime(t, index)).to.be.at.least(time);
            if (index > 0) expect(podEventTime(t, index - 1)).to.be.below(time);
          },
        ),
      );
    });

    it('rejects bad indexes and timelines', () => {
      expect(() => podEventTime(timeline, -1)).to.throw(RangeError);
      expect(() => podEventTime(timeline, 1.5)).to.throw(RangeError);
      expect(() => podEventTime({ startTime: 0, intervalMs: 0 }, 1)).to.throw(RangeError);
      expect(() => podIndexAtOrAfter({ startTime: 0, intervalMs: -1 }, 1)).to.throw(RangeError);
      expect(() => podIndexAtOrAfter(timeline, Number.NaN)).to.throw(RangeError);
    });
  });

  describe('podEventKey', () => {
    it('is a 32-character guid for message and audit, a 22-character id for maillog, URL-safe', () => {
      for (const type of TYPES) {
        for (let i = 0; i < 50; i++) {
          const key = podEventKey(type, i, 's');
          expect(key).to.match(/^[A-Za-z0-9_-]+$/);
          expect(key).to.have.length(type === 'maillog' ? 22 : 32);
        }
      }
    });

    it('is unique per index and type, and deterministic in (type, index, seed)', () => {
      const all = new Set<string>();
      for (const type of TYPES) for (let i = 0; i < 20_000; i++) all.add(podEventKey(type, i, 'u'));
      expect(all.size).to.equal(60_000);
      expect(podEventKey('message', 42, 'u')).to.equal(podEventKey('message', 42, 'u'));
      expect(podEventKey('message', 42, 'u')).not.to.equal(podEventKey('message', 42, 'v'));
      expect(podEventKey('message', 42)).to.equal(podEventKey('message', 42, ''));
    });
  });

  describe('podEvent', () => {
    const sizes = { message: [2400, 3600, 2700, 3300], maillog: [650, 1000, 750, 900], audit: [450, 750, 520, 680] } as const;
    for (const type of TYPES) {
      it(`makes ${type} events of a realistic size`, () => {
        const [min, max, meanLow, meanHigh] = sizes[type];
        let sum = 0;
        for (let i = 0; i < 300; i++) {
          const n = bytes(podEvent(type, i, timeline));
          expect(n, `${type} #${i}`).to.be.within(min, max);
          sum += n;
        }
        expect(sum / 300).to.be.within(meanLow, meanHigh);
      });
    }

    it('is compact JSON, deterministic, and differs between indexes', () => {
      for (const type of TYPES) {
        const a = podEvent(type, 7, timeline);
        expect(a).to.equal(podEvent(type, 7, timeline));
        expect(a).not.to.equal(podEvent(type, 8, timeline));
        expect(JSON.stringify(JSON.parse(a))).to.equal(a);
        expect(a).not.to.equal(podEvent(type, 7, { ...timeline, seed: 'other' }));
      }
    });

    it('gives message events the PoD shape', () => {
      for (let i = 0; i < 20; i++) {
        const e = JSON.parse(podEvent('message', i, timeline, { clusterId: 'acme_hosted' }));
        expect(e.guid).to.equal(podEventKey('message', i, 'spec'));
        expect(e.connection).to.include.keys('host', 'ip', 'helo', 'country', 'protocol');
        expect(e.connection.tls.inbound).to.include.keys('cipher', 'version');
        expect(e.envelope.from).to.be.a('string');
        expect(e.envelope.rcpts).to.be.an('array').that.is.not.empty;
        expect(e.filter.actions).to.be.an('array');
        expect(e.filter).to.include.keys('disposition', 'qid', 'routes');
        expect(e.filter.modules.spam.scores).to.include.keys('engine', 'overall');
        expect(e.metadata.origin.data).to.deep.include({ cid: 'acme_hosted' });
        expect(e.metadata.origin.data).to.include.keys('agent', 'version');
        for (const header of ['from', 'subject', 'to', 'message-id']) expect(e.msg.header[header]).to.be.an('array').that.is.not.empty;
        expect(e.msg.sizeBytes).to.be.a('number');
        for (const part of e.msgParts) {
          expect(part.detectedMime).to.be.a('string');
          expect(part.md5).to.match(/^[0-9a-f]{32}$/);
          expect(part.sha256).to.match(/^[0-9a-f]{64}$/);
          expect(part.sizeDecodedBytes).to.be.a('number');
        }
      }
    });

    it('gives maillog events the PoD shape, with sm.pri a number or a numeric string', () => {
      for (let i = 0; i < 20; i++) {
        const e = JSON.parse(podEvent('maillog', i, timeline));
        expect(e.id).to.equal(podEventKey('maillog', i, 'spec'));
        expect(e.data).to.match(/ sendmail\[\d+\]: \w+: to=/);
        expect(e.pps).to.include.keys('agent', 'cid');
        expect(e.sm).to.include.keys('qid', 'stat', 'dsn', 'mailer', 'pri', 'delay', 'to');
        expect(e.sm.to).to.be.an('array');
        if (i % 2 === 0) expect(e.sm.pri).to.be.a('number');
        else expect(e.sm.pri).to.be.a('string').and.match(/^\d+$/);
      }
    });

    it('gives audit events the PoD shape', () => {
      for (let i = 0; i < 20; i++) {
        const e = JSON.parse(podEvent('audit', i, timeline));
        expect(e.guid).to.equal(podEventKey('audit', i, 'spec'));
        expect(e.audit).to.include.keys('action', 'level', 'resourceType', 'user');
        expect(e.audit.user).to.include.keys('email', 'id', 'ipAddress');
        expect(e.metadata.origin.data).to.include.keys('agent', 'cid', 'version');
      }
    });

    it('never names a field with a leading @', () => {
      for (const type of TYPES) {
        for (let i = 0; i < 30; i++) {
          expect(keysOf(JSON.parse(podEvent(type, i, timeline)) as Json).filter((k) => k.startsWith('@'))).to.deep.equal([]);
        }
      }
    });

    it('writes ts as local ISO-8601 with microseconds whose instant is podEventTime to the ms', () => {
      const styles = [/-0700$/, /-07:00$/, /\+0530$/, /\+0000$/];
      for (const type of TYPES) {
        for (let i = 0; i < 200; i++) {
          const ts: string = JSON.parse(podEvent(type, i, timeline)).ts;
          expect(ts).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}([+-]\d{2}:?\d{2})$/);
          expect(ts).to.match(styles[i % 4]!);
          expect(parseEventTime(ts)).to.equal(podEventTime(timeline, i));
        }
      }
      fc.assert(
        fc.property(
          fc.integer({ min: 86_400_000, max: 4_000_000_000_000 }),
          fc.double({ min: 0.01, max: 1e6, noNaN: true }),
          fc.nat(100_000),
          (startTime, intervalMs, index) => {
            const t = { startTime, intervalMs };
            expect(parseEventTime(JSON.parse(podEvent('audit', index, t)).ts)).to.equal(podEventTime(t, index));
          },
        ),
        { numRuns: 200 },
      );
    });

    it('pads events to largeBytes (msgParts for message, a padding field otherwise)', () => {
      const large = 2 * 1024 * 1024;
      for (const type of TYPES) {
        const text = podEvent(type, 3, timeline, { largeBytes: large });
        expect(bytes(text)).to.be.within(large, large + 64);
        const e = JSON.parse(text);
        expect(e[type === 'maillog' ? 'id' : 'guid']).to.equal(podEventKey(type, 3, 'spec'));
        if (type === 'message') expect(JSON.stringify(e.msgParts).length).to.be.above(large - 4096);
        else expect(e.padding.length).to.be.above(large - 4096);
        expect(parseEventTime(e.ts)).to.equal(podEventTime(timeline, 3));
      }
      expect(podEvent('audit', 3, timeline, { largeBytes: 10 })).to.equal(podEvent('audit', 3, timeline));
    });
  });
});
