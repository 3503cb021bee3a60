import { expect } from 'chai';
import * as fc from 'fast-check';
import { devoBody, devoLine, DevoLineWriter } from '../../lib/sinks/devoLine';

describe('the Devo wire format (DevoLineWriter, devoLine)', () => {
  it('writes the syslog header with the UTC time in ms, host and tag, then the body and a line feed', () => {
    expect(devoLine(Date.UTC(2024, 4, 22, 19, 10, 3, 58), 'collector-7', 'mail.proofpoint.pod.message', '{"guid":"x"}')).to.equal(
      '<14>2024-05-22T19:10:03.058Z collector-7 mail.proofpoint.pod.message: {"guid":"x"}\n',
    );
  });

  it('never lets a raw line break split an event', () => {
    expect(devoLine(0, 'h', 'a.b', '{\n"a":\r\n1}')).to.equal('<14>1970-01-01T00:00:00.000Z h a.b: { "a": 1}\n');
    expect(devoBody(Buffer.from('{"a":"\r"}')).toString()).to.equal('{"a":" "}');
  });

  it('copies a clean body as it is: the same buffer, byte for byte (multi-byte UTF-8 included)', () => {
    const body = Buffer.from('{"s":"é✓😀"}');
    expect(devoBody(body)).to.equal(body);
    expect(devoLine(1, 'h', 'a.b', '{"s":"é✓😀"}')).to.equal('<14>1970-01-01T00:00:00.001Z h a.b: {"s":"é✓😀"}\n');
  });

  it('writes consecutive lines into one buffer, at the offsets it returns, each with its own time', () => {
    const w = new DevoLineWriter('h', 'a.b');
    const bodies = ['{"n":1}', '{"n":2}', '{"n":3}'].map((b) => Buffer.from(b));
    const times = [1000, 1000, 2001];
    const out = Buffer.alloc(bodies.reduce((n, b) => n + w.lineBytes(b.length), 0));
    let offset = 0;
    bodies.forEach((b, i) => (offset = w.write(out, offset, times[i]!, b)));
    expect(offset).to.equal(out.length);
    expect(out.toString()).to.equal(
      '<14>1970-01-01T00:00:01.000Z h a.b: {"n":1}\n<14>1970-01-01T00:00:01.000Z h a.b: {"n":2}\n<14>1970-01-01T00:00:02.001Z h a.b: {"n":3}\n',
    );
  });

  it('writes each line with its own time, whatever the order and the seconds the times fall in (property)', () => {
    const second = fc.integer({ min: 0, max: 3 }).map((s) => 1_716_405_000_000 + s * 1000);
    const time = fc.tuple(second, fc.integer({ min: 0, max: 999 })).map(([s, ms]) => s + ms);
    fc.assert(
      fc.property(fc.array(fc.oneof(time, fc.integer({ min: 0, max: 253_402_300_799_999 })), { minLength: 1, maxLength: 50 }), (times) => {
        const w = new DevoLineWriter('h', 'a.b');
        const body = Buffer.from('{}');
        const out = Buffer.alloc(w.lineBytes(body.length) * times.length);
        let offset = 0;
        for (const t of times) offset = w.write(out, offset, t, body);
        expect(out.toString()).to.equal(times.map((t) => `<14>${new Date(t).toISOString()} h a.b: {}\n`).join(''));
      }),
    );
  });

  it('refuses a time without a 24-character ISO form (before 1970, after 9999, not a number)', () => {
    for (const time of [-1, 253_402_300_800_000, Number.NaN]) {
      expect(() => devoLine(time, 'h', 'a.b', '{}')).to.throw(RangeError, /not between 1970 and 9999/);
    }
  });
});
