import { expect } from 'chai';
import * as fc from 'fast-check';
import { parseEventTime } from '../../lib/time/parseEventTime';

describe('parseEventTime', () => {
  const t = Date.UTC(2024, 4, 22, 19, 10, 3, 58);

  const valid: Array<[unknown, number]> = [
    ['2024-05-22T19:10:03.058Z', t],
    ['2024-05-22T19:10:03.058z', t],
    ['2024-05-22T12:10:03.058340-0700', t],
    ['2024-05-22T12:10:03.058340-07:00', t],
    ['2024-05-23T00:40:03.058+05:30', t],
    ['2024-05-23T00:40:03.058+0530', t],
    ['2024-05-22T21:10:03.058+02', t],
    ['2024-05-22T19:10:03.058340123Z', t],
    ['2024-05-22T19:10:03.0589Z', t],
    ['2024-05-22T19:10:03.05Z', t - 8],
    ['2024-05-22T19:10:03Z', t - 58],
    ['2024-05-22 19:10:03.058Z', t],
    ['2024-05-22T19:10:03.058', t],
    ['2023-10-30T06:13:37.162521+0000', Date.UTC(2023, 9, 30, 6, 13, 37, 162)],
    // A CASB event's timestamp, from the API's public sample.
    ['2020-06-29T18:31:01.867Z', Date.UTC(2020, 5, 29, 18, 31, 1, 867)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    [1716405003, t - 58],
    [1716405003.058, t],
    [1716405003058, t],
    [1716405003058340, t],
    // eslint-disable-next-line no-loss-of-precision -- a nanosecond epoch as JSON gives it (more digits than a double holds)
    [1716405003058340123, t],
    ['1716405003', t - 58],
    ['1716405003058', t],
    [0, 0],
  ];
  for (const [input, expected] of valid) {
    it(`parses ${JSON.stringify(input)}`, () => {
      expect(parseEventTime(input)).to.equal(expected);
    });
  }

  const invalid: Array<[unknown, RegExp]> = [
    [undefined, /^missing$/],
    [null, /^missing$/],
    ['', /not an ISO-8601/],
    ['yesterday', /not an ISO-8601/],
    ['2024-13-01T00:00:00Z', /month out of range/],
    ['2023-02-29T00:00:00Z', /day out of range/],
    ['2024-05-22T24:00:00Z', /time of day out of range/],
    ['2024-05-22T19:10:03+2400', /offset out of range/],
    ['0070-01-01T00:00:00Z', /outside 1970-9999/],
    [-1, /not a valid epoch/],
    [Number.NaN, /not a valid epoch/],
    [Infinity, /not a valid epoch/],
    [1e21, /too large/],
    [{ $date: 1 }, /^Invalid type dict\. Must be epoch seconds, epoch millis, str, datetime, or DateTime: \{"\$date":1\}$/],
    [true, /^Invalid type boolean\. Must be epoch seconds/],
  ];
  for (const [input, reason] of invalid) {
    it(`rejects ${String(JSON.stringify(input))} with a reason`, () => {
      const parsed = parseEventTime(input);
      expect(parsed).to.be.an('object');
      expect((parsed as { reason: string }).reason).to.match(reason);
    });
  }

  it('agrees with Date on any ISO time it prints (property)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(0), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), (d) => {
        expect(parseEventTime(d.toISOString())).to.equal(d.getTime());
      }),
    );
  });

  it('reads any local offset and fraction width as the instant it names (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 253_402_300_799_999 - 15 * 3_600_000 }),
        fc.integer({ min: -56, max: 56 }).map((q) => q * 15),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(':', ''),
        (instant, offsetMinutes, fractionDigits, separator) => {
          const local = new Date(instant + offsetMinutes * 60_000).toISOString();
          const fraction = fractionDigits === 0 ? '' : `.${`${local.slice(20, 23)}123456`.slice(0, fractionDigits)}`;
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${separator}${String(abs % 60).padStart(2, '0')}`;
          const text = `${local.slice(0, 19)}${fraction}${zone}`;
          const ms = Number(`${local.slice(20, 23)}`.slice(0, Math.min(3, fractionDigits)).padEnd(3, '0'));
          const expected = instant - Number(local.slice(20, 23)) + ms;
          if (expected >= 0) expect(parseEventTime(text), text).to.equal(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws, whatever it is given (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), fc.double(), fc.stringMatching(/^\d{4}-\d{2}-\d{2}T[\d:.+-Z]{0,30}$/)), (v) => {
        const parsed = parseEventTime(v);
        if (typeof parsed === 'number') expect(Number.isInteger(parsed) && parsed >= 0).to.equal(true);
        else expect(parsed.reason).to.be.a('string').and.not.equal('');
      }),
    );
  });
});
