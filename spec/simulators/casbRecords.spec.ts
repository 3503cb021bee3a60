import { expect } from 'chai';
import * as fc from 'fast-check';
import {
  casbAdditionalPropertyCount,
  casbAlert,
  casbAlertId,
  casbAlertsInWindow,
  casbEvent,
  casbEventId,
  casbIndexAtOrAfter,
  casbRecordTime,
  casbRelatedEventCount,
  casbVisibleCount,
  casbWindowRange,
  type CasbTimeline,
} from '../../lib/simulators/casbRecords';
import { keysOf } from '../helpers/jsonKeys';

const timeline: CasbTimeline = { startTime: Date.UTC(2024, 4, 22, 19, 10, 3, 58), intervalMs: 37.3, seed: 'spec' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The API's event ids: `flevent_9ab748ff5e42cf17677276a963495ca2`. */
const FLEVENT = /^flevent_[0-9a-f]{32}$/;
/** ISO-8601 UTC with milliseconds, as the API stamps events: `2020-06-29T18:31:01.867Z`. */
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('casbRecords', () => {
  describe('casbRecordTime and casbIndexAtOrAfter', () => {
    it('floors startTime + group * intervalMs', () => {
      expect(casbRecordTime({ startTime: 1000, intervalMs: 2.5 }, 0)).to.equal(1000);
      expect(casbRecordTime({ startTime: 1000, intervalMs: 2.5 }, 3)).to.equal(1007);
      expect(casbRecordTime({ startTime: 1000.9, intervalMs: 10 }, 1)).to.equal(1010);
      const grouped = { startTime: 1000, intervalMs: 10, sameTimestampGroup: 3 };
      expect([0, 1, 2, 3, 4, 5, 6].map((i) => casbRecordTime(grouped, i))).to.deep.equal([1000, 1000, 1000, 1010, 1010, 1010, 1020]);
    });

    it('finds the first index at or after a time: the first of its group, never negative', () => {
      const t = { startTime: 1000, intervalMs: 10 };
      expect(casbIndexAtOrAfter(t, 1015)).to.equal(2);
      expect(casbIndexAtOrAfter(t, 1020)).to.equal(2);
      expect(casbIndexAtOrAfter(t, 1020.5)).to.equal(3);
      expect(casbIndexAtOrAfter(t, 0)).to.equal(0);
      expect(casbIndexAtOrAfter(t, -Infinity)).to.equal(0);
      expect(casbIndexAtOrAfter(t, Infinity)).to.equal(Infinity);
      const grouped = { ...t, sameTimestampGroup: 3 };
      expect(casbIndexAtOrAfter(grouped, 1010)).to.equal(3);
      expect(casbIndexAtOrAfter(grouped, 1015)).to.equal(6);
    });

    it('times never decrease, and casbIndexAtOrAfter is the smallest index at or after a time (property)', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 4_000_000_000_000 }),
          fc.double({ min: 0.001, max: 100_000, noNaN: true }),
          fc.integer({ min: 1, max: 7 }),
          fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
          (startTime, intervalMs, group, delta) => {
            const t = { startTime, intervalMs, sameTimestampGroup: group };
            const time = startTime + delta;
            const index = casbIndexAtOrAfter(t, time);
            expect(index % group).to.equal(0);
            expect(casbRecordTime(t, index)).to.be.at.least(time);
            if (index > 0) expect(casbRecordTime(t, index - 1)).to.be.below(time);
            expect(casbRecordTime(t, index + 1)).to.be.at.least(casbRecordTime(t, index));
          },
        ),
      );
    });

    it('rejects bad indexes and timelines', () => {
      expect(() => casbRecordTime(timeline, -1)).to.throw(RangeError);
      expect(() => casbRecordTime(timeline, 1.5)).to.throw(RangeError);
      expect(() => casbRecordTime({ startTime: 0, intervalMs: 0 }, 1)).to.throw(RangeError);
      expect(() => casbRecordTime({ startTime: NaN, intervalMs: 1 }, 1)).to.throw(RangeError);
      expect(() => casbRecordTime({ startTime: 0, intervalMs: 1, sameTimestampGroup: 0 }, 1)).to.throw(RangeError);
      expect(() => casbIndexAtOrAfter(timeline, NaN)).to.throw(RangeError);
    });
  });

  describe('visibility', () => {
    const stream = { timeline: { startTime: 1000, intervalMs: 10 }, total: 100 };

    it('counts the records with a time <= now, never more than total; backlog: total', () => {
      expect(casbVisibleCount(stream, 999)).to.equal(0);
      expect(casbVisibleCount(stream, 1000)).to.equal(1);
      expect(casbVisibleCount(stream, 1025)).to.equal(3);
      expect(casbVisibleCount(stream, 1030)).to.equal(4);
      expect(casbVisibleCount(stream, 1e12)).to.equal(100);
      expect(casbVisibleCount(stream)).to.equal(100);
      expect(casbVisibleCount({ timeline: stream.timeline })).to.equal(Infinity);
    });

    it('lists the alerts of an inclusive window newest first', () => {
      expect(casbWindowRange(stream, 1010, 1030)).to.deep.equal([1, 4]);
      expect(casbAlertsInWindow(stream, 1010, 1030)).to.deep.equal([3, 2, 1]);
      expect(casbAlertsInWindow(stream, 1011, 1029)).to.deep.equal([2]);
      expect(casbAlertsInWindow(stream, 1010, 1030, 1025)).to.deep.equal([2, 1]);
      expect(casbAlertsInWindow(stream, 0, 1e13)).to.have.length(100);
      expect(casbAlertsInWindow(stream, 2000, 1000)).to.deep.equal([]);
      const grouped = { timeline: { ...stream.timeline, sameTimestampGroup: 4 } };
      expect(casbAlertsInWindow(grouped, 1010, 1010)).to.deep.equal([7, 6, 5, 4]);
    });
  });

  describe('ids', () => {
    it('are UUID-shaped (alerts) or flevent_ and 32 hex digits (events), deterministic and unique per seed', () => {
      const alerts = new Set<string>();
      const events = new Set<string>();
      for (let i = 0; i < 20_000; i++) {
        alerts.add(casbAlertId(i, 'spec'));
        events.add(casbEventId(i, 'spec'));
      }
      expect(alerts.size).to.equal(20_000);
      expect(events.size).to.equal(20_000);
      for (const id of [...alerts].slice(0, 200)) expect(id).to.match(UUID);
      for (const id of [...events].slice(0, 200)) expect(id).to.match(FLEVENT);
      expect(casbAlertId(5, 'spec')).to.equal(casbAlertId(5, 'spec'));
      expect(casbAlertId(5, 'spec')).not.to.equal(casbAlertId(5, 'other'));
      expect(casbAlertId(5)).to.equal(casbAlertId(5, ''));
      expect(casbEventId(5, 'spec')).to.equal(casbEventId(5, 'spec'));
      expect(casbEventId(5, 'spec')).not.to.equal(casbEventId(5, 'other'));
      expect(casbEventId(Number.MAX_SAFE_INTEGER)).to.match(FLEVENT);
      expect(() => casbAlertId(-1)).to.throw(RangeError);
      expect(() => casbEventId(1.5)).to.throw(RangeError);
    });
  });

  describe('casbAlert', () => {
    const alerts = Array.from({ length: 480 }, (_, i) => casbAlert(i, timeline));

    it('carries its id, its timestamp (epoch ms) and the documented fields', () => {
      alerts.forEach((alert, i) => {
        expect(alert['id']).to.equal(casbAlertId(i, 'spec'));
        expect(alert['timestamp']).to.equal(casbRecordTime(timeline, i));
        expect(alert).to.include.keys('severity', 'type', 'title', 'tenant', 'user', 'cloud_app', 'policy');
        expect(alert['user']).to.have.keys('email', 'id');
        expect(alert['policy']).to.have.keys('id', 'name');
      });
    });

    it('has 0-3 related events, each count once per block of 4; none as [], absent or null', () => {
      const counts = [0, 0, 0, 0];
      const empties = { empty: 0, absent: 0, null: 0 };
      alerts.forEach((alert, i) => {
        const related = alert['related_events'];
        const count = casbRelatedEventCount(i, 'spec');
        counts[count]!++;
        if (count === 0) {
          if (related === null) empties.null++;
          else if (related === undefined) {
            expect(alert).not.to.have.property('related_events');
            empties.absent++;
          } else {
            expect(related).to.deep.equal([]);
            empties.empty++;
          }
          return;
        }
        expect(related).to.be.an('array').with.length(count);
        for (const event of related as Array<Record<string, unknown>>) {
          expect(event).to.have.keys('id', 'timestamp', 'activity', 'ip', 'location', 'resource');
          expect(event['id']).to.match(UUID);
          expect(event['location']).to.have.keys('country', 'city');
          expect(event['timestamp'])
            .to.be.a('number')
            .at.most(alert['timestamp'] as number);
        }
      });
      expect(counts).to.deep.equal([120, 120, 120, 120]);
      expect(empties).to.deep.equal({ empty: 40, absent: 40, null: 40 });
      for (let block = 0; block < 20; block++) {
        expect([0, 1, 2, 3].map((j) => casbRelatedEventCount(block * 4 + j, 'spec')).sort()).to.deep.equal([0, 1, 2, 3]);
      }
    });

    it('is deterministic, and its related event ids are unique', () => {
      expect(casbAlert(17, timeline)).to.deep.equal(alerts[17]);
      expect(casbAlert(17, { ...timeline, seed: 'other' })).not.to.deep.equal(alerts[17]);
      const ids = alerts.flatMap((a) => ((a['related_events'] ?? []) as Array<{ id: string }>).map((e) => e.id));
      expect(new Set(ids).size).to.equal(ids.length);
    });
  });

  describe('casbEvent', () => {
    const events = Array.from({ length: 480 }, (_, i) => casbEvent(i, timeline));
    /** The fields of the API's public sample, in its order. */
    const FIELDS = [
      'eventId',
      'cloudService',
      'timestamp',
      'resource',
      'action',
      'userEmail',
      'requestIp',
      'geographicalContextCountry',
      'geographicalContextState',
      'geographicalContextCity',
      'userAgent',
      'systemEvent',
    ];

    it("has the API's shape: eventId, an ISO millisecond timestamp, the camelCase fields of its sample, in its order", () => {
      events.forEach((event, i) => {
        expect(event['eventId']).to.equal(casbEventId(i, 'spec'));
        expect(event['timestamp']).to.match(ISO_MS);
        expect(event['timestamp']).to.equal(new Date(casbRecordTime(timeline, i)).toISOString());
        expect(Object.keys(event).filter((k) => k !== 'additionalProperties')).to.deep.equal(FIELDS);
        for (const key of FIELDS.filter((k) => k !== 'systemEvent')) expect(event[key], key).to.be.a('string').that.is.not.empty;
        expect(event['systemEvent']).to.be.a('boolean');
        expect(event['userEmail']).to.match(/^[a-z]+\.[a-z]+@[a-z.]+$/);
        expect(event['requestIp']).to.match(/^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$/);
        expect(event).not.to.have.property('id');
      });
      expect(new Set(events.map((e) => e['systemEvent']))).to.deep.equal(new Set([true, false]));
      expect(casbEvent(3, timeline)).to.deep.equal(events[3]);
      expect(casbEvent(3, { ...timeline, seed: 'other' })).not.to.deep.equal(events[3]);
    });

    it('has 0-2 additional properties { key, value }, each count once per block of 3; none as absent or []', () => {
      const counts = [0, 0, 0];
      let absent = 0;
      let empty = 0;
      events.forEach((event, i) => {
        const count = casbAdditionalPropertyCount(i, 'spec');
        counts[count]!++;
        const props = event['additionalProperties'];
        if (count === 0) {
          if (props === undefined) absent++;
          else {
            expect(props).to.deep.equal([]);
            empty++;
          }
          return;
        }
        expect(Object.keys(event).at(-1)).to.equal('additionalProperties');
        expect(props).to.be.an('array').with.length(count);
        for (const prop of props as Array<Record<string, unknown>>) {
          expect(prop).to.have.keys('key', 'value');
          expect(prop['key']).to.match(/^[a-z][A-Za-z]+$/);
          expect(prop['value']).to.be.a('string');
        }
        expect(new Set((props as Array<{ key: string }>).map((p) => p.key)).size).to.equal(count);
      });
      expect(counts).to.deep.equal([160, 160, 160]);
      expect(absent).to.equal(80);
      expect(empty).to.equal(80);
    });
  });

  it("no record has a field name starting with @; alerts are 0.5-2 KB, events 0.35-1 KB (the API's sample is about 0.5 KB)", () => {
    for (let i = 0; i < 2000; i++) {
      const alert = casbAlert(i, timeline);
      const event = casbEvent(i, timeline);
      for (const record of [alert, event]) expect(keysOf(record).filter((key) => key.startsWith('@'))).to.deep.equal([]);
      expect(bytes(alert)).to.be.within(500, 2048);
      expect(bytes(event)).to.be.within(350, 1024);
    }
  });
});
