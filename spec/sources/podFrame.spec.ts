import { expect } from 'chai';
import * as fc from 'fast-check';
import { isRejectedFrame, parsePodFrame, podKeyField, type PodFrame } from '../../lib/sources/podFrame';

const frame = (text: string) => Buffer.from(text, 'utf8');

describe('parsePodFrame', () => {
  it('keeps the vendor text byte for byte, with the key and the raw ts', () => {
    const text = '{"guid":"g1","ts":"2024-05-22T12:10:03.058340-0700","n":1.0,"s":"\\u00e9"}';
    const parsed = parsePodFrame(frame(text), false, 'guid');
    expect(parsed).to.deep.include({ key: 'g1', ts: '2024-05-22T12:10:03.058340-0700' });
    expect((parsed as PodFrame).raw.toString()).to.equal(text);
  });

  it('uses id for maillog and guid for the others', () => {
    expect(podKeyField('maillog')).to.equal('id');
    expect(podKeyField('message')).to.equal('guid');
    expect(podKeyField('audit')).to.equal('guid');
    expect(parsePodFrame(frame('{"id":"m1","ts":1}'), false, 'id')).to.deep.include({ key: 'm1' });
  });

  it('makes each raw line break between tokens a space, in a copy, and trims surrounding whitespace', () => {
    const read = frame('{"guid":"g",\r\n  "ts": 1, "s": "a\\nb"}\n');
    const broken = parsePodFrame(read, false, 'guid') as PodFrame;
    expect(broken).to.deep.include({ key: 'g', ts: 1 });
    expect(broken.raw.toString()).to.equal('{"guid":"g",    "ts": 1, "s": "a\\nb"}');
    expect(read.toString()).to.equal('{"guid":"g",\r\n  "ts": 1, "s": "a\\nb"}\n');
    expect((parsePodFrame(frame('  {"guid":"g","ts":1}  '), false, 'guid') as PodFrame).raw.toString()).to.equal('{"guid":"g","ts":1}');
  });

  it('rejects a frame over the limit as POD_EVENT_TOO_LARGE with its head, size, sha256 and ts, valid or not', () => {
    const limits = { maxBytes: 5000, setting: 'inputs.proofpoint_on_demand.services.message.max_event_size_in_mb' };
    const big = frame(`{"guid":"g","ts":7,"pad":"${'x'.repeat(6000)}"}`);
    const rejected = parsePodFrame(big, false, 'guid', limits);
    expect(isRejectedFrame(rejected)).to.equal(true);
    expect(rejected).to.deep.include({ ts: 7, text: big.subarray(0, 4096).toString() });
    expect((rejected as { reason: string }).reason).to.match(
      /^POD_EVENT_TOO_LARGE: 6028 bytes, over the 5000 bytes of inputs\.proofpoint_on_demand\.services\.message\.max_event_size_in_mb; sha256 [0-9a-f]{64}; guid "g"/,
    );
    const broken = parsePodFrame(frame(`{"guid":"g","ts":7,"pad":"${'x'.repeat(6000)}`), false, 'guid', limits);
    expect(broken)
      .to.have.property('reason')
      .that.matches(/^POD_EVENT_TOO_LARGE/);
    expect(broken).not.to.have.property('ts');
    expect(parsePodFrame(frame('{"guid":"g","ts":7}'), false, 'guid', limits)).to.deep.include({ key: 'g' });
  });

  it('accepts binary frames holding UTF-8, and rejects invalid UTF-8', () => {
    expect(parsePodFrame(frame('{"guid":"é","ts":1}'), true, 'guid')).to.deep.include({ key: 'é' });
    const bad = parsePodFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), true, 'guid');
    expect(bad).to.deep.include({ reason: 'binary frame is not valid UTF-8' });
  });

  const rejects: Array<[string, RegExp]> = [
    ['{"guid": "x", broken', /^not JSON/],
    ['[1,2]', /^not a JSON object \(a list\)/],
    ['null', /^not a JSON object \(null\)/],
    ['"text"', /^not a JSON object \(string\)/],
    ['{"ts":"2024-05-22T12:10:03Z"}', /^no guid/],
    ['{"guid":"","ts":1}', /^no guid/],
    ['{"guid":7,"ts":1}', /^no guid/],
    ['{"__proto__":{"guid":"inherited"},"ts":1}', /^no guid/],
  ];
  for (const [text, reason] of rejects) {
    it(`rejects ${text} with a reason and the text`, () => {
      const result = parsePodFrame(frame(text), false, 'guid');
      expect(isRejectedFrame(result)).to.equal(true);
      expect(result).to.have.property('reason').that.matches(reason);
      expect(result).to.have.property('text', text);
    });
  }

  it("keeps the frame's bytes without copying them (only surrounding whitespace is cut off)", () => {
    const read = Buffer.from('  {"guid":"v","ts":1}\t');
    const frame = parsePodFrame(read, false, 'guid') as PodFrame;
    expect(frame.raw.buffer).to.equal(read.buffer);
    expect(frame.raw.toString()).to.equal('{"guid":"v","ts":1}');
  });

  it('rejects deep nesting without crashing', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(isRejectedFrame(parsePodFrame(frame(deep), false, 'guid'))).to.equal(true);
  });

  it('says that valid JSON nested 2 000 deep is too deep, naming the limit (not "not a JSON object (object)")', () => {
    const deep = `${'{"a":'.repeat(2000)}{"guid":"g","ts":1}${'}'.repeat(2000)}`;
    expect(JSON.parse(deep)).to.be.an('object');
    const result = parsePodFrame(frame(deep), false, 'guid');
    expect(isRejectedFrame(result)).to.equal(true);
    expect(result)
      .to.have.property('reason')
      .that.matches(/^nested deeper than 1000 levels at position \d+$/);
    expect(result).to.have.property('text', deep);
  });

  it('never throws, and what it accepts re-parses to an object with the key (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.uint8Array().map((a) => Buffer.from(a).toString('latin1')),
        ),
        fc.boolean(),
        (text, binary) => {
          const result = parsePodFrame(Buffer.from(text, binary ? 'latin1' : 'utf8'), binary, 'guid');
          if (isRejectedFrame(result)) expect(result.reason).to.be.a('string');
          else {
            const parsed = JSON.parse(result.raw.toString()) as Record<string, unknown>;
            expect(parsed['guid']).to.equal(result.key);
            expect(result.raw.toString()).not.to.match(/[\r\n]/);
          }
        },
      ),
    );
  });
});
