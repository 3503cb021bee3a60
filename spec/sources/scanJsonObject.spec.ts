import { expect } from 'chai';
import * as fc from 'fast-check';
import { scanJsonObject } from '../../lib/sources/scanJsonObject';

/** What JSON.parse says about a text: a plain object's wanted own members, or a rejection. */
function oracle(text: string, wanted: readonly string[]): { fields: Map<string, unknown> } | 'rejected' {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'rejected';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'rejected';
  const fields = new Map<string, unknown>();
  for (const key of wanted) if (Object.prototype.hasOwnProperty.call(value, key)) fields.set(key, (value as Record<string, unknown>)[key]);
  return { fields };
}

/** The scanner reads UTF-8 bytes (as frames arrive); the oracle parses the same bytes decoded. */
function scan(text: string, wanted: readonly string[]) {
  return scanJsonObject(Buffer.from(text, 'utf8'), wanted);
}

function agree(raw: string, wanted: readonly string[] = ['guid', 'ts', 'id']): void {
  const text = Buffer.from(raw, 'utf8').toString('utf8');
  const ours = scan(text, wanted);
  const theirs = oracle(text, wanted);
  if (theirs === 'rejected') {
    if (!('error' in ours)) expect.fail(`accepted ${JSON.stringify(text)}`);
  } else {
    if (!('fields' in ours)) expect.fail(`rejected ${JSON.stringify(text)}: ${ours.error}`);
    // Compared as JSON: values may hold keys such as "toString" that trip up chai's printer.
    const entries = (m: ReadonlyMap<string, unknown>) => JSON.stringify([...m].sort(([a], [b]) => a.localeCompare(b)));
    expect(entries(ours.fields)).to.equal(entries(theirs.fields));
  }
}

/** JSON text with random whitespace (including line breaks) between tokens. */
const spacedJson = fc
  .tuple(fc.jsonValue({ maxDepth: 6 }), fc.array(fc.constantFrom(' ', '\n', '\t', '\r\n', ''), { minLength: 1, maxLength: 8 }))
  .map(([value, spaces]) => {
    let k = 0;
    return (JSON.stringify(value, null, 1) ?? 'null').replace(/\n\s*/g, () => spaces[k++ % spaces.length]!);
  });

describe('scanJsonObject', () => {
  it('reads the wanted top-level members of a PoD event without building it', () => {
    const result = scan('{"msg":{"guid":"nested","ts":1},"guid":"g1","ts":"2024-05-22T12:10:03.058340-0700","n":[{"guid":2}]}', ['guid', 'ts']);
    expect(result).to.deep.equal({
      fields: new Map<string, unknown>([
        ['guid', 'g1'],
        ['ts', '2024-05-22T12:10:03.058340-0700'],
      ]),
      hasLineBreak: false,
    });
  });

  it('decodes escaped keys and values, takes the last duplicate, converts numbers, and reports line breaks', () => {
    const result = scan('{"gu\\u0069d":"a\\"b","ts":1.5e3,\n"guid":"c\\u00e9","ts":2}', ['guid', 'ts']);
    expect(result).to.deep.equal({
      fields: new Map<string, unknown>([
        ['guid', 'cé'],
        ['ts', 2],
      ]),
      hasLineBreak: true,
    });
    expect(scan('{"ts":{"a":[1]}}', ['ts'])).to.deep.include({ fields: new Map([['ts', { a: [1] }]]) });
  });

  const invalid = [
    '',
    '{',
    '{"a":1',
    '{"a":1,}',
    '{"a" 1}',
    '{a:1}',
    "{'a':1}",
    '{"a":01}',
    '{"a":1.}',
    '{"a":.5}',
    '{"a":+1}',
    '{"a":"\\x"}',
    '{"a":"\\u12"}',
    '{"a":"tab\there"}',
    '{"a":tru}',
    '{"a":[1,]}',
    '{"a":[1 2]}',
    '{"a":{]}',
    '{"a":1}}',
    '{"a":1} x',
    '[{"a":1}]',
    '"{}"',
    '\ufeff{}',
    '{"a":NaN}',
  ];
  for (const text of invalid) {
    it(`rejects ${JSON.stringify(text)} as JSON.parse does`, () => agree(text));
  }

  it('reads members holding multi-byte UTF-8', () => {
    expect(scan('{"guid":"ünï✓😀","x":"é"}', ['guid'])).to.deep.equal({ fields: new Map([['guid', 'ünï✓😀']]), hasLineBreak: false });
  });

  it('bounds nesting instead of using the call stack', () => {
    const deep = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(scan(deep, ['a'])).to.deep.equal({ error: 'nested deeper than 1000 levels at position 1004', tooDeep: true });
  });

  it('agrees with JSON.parse on valid JSON texts (property)', () => {
    fc.assert(
      fc.property(spacedJson, (text) => agree(text)),
      { numRuns: 2000 },
    );
  });

  it('agrees with JSON.parse on objects holding the wanted members (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('guid', 'ts', 'id', 'x', '__proto__', 'gu\\u0069d'), fc.jsonValue({ maxDepth: 3 })), (object) => {
        agree(JSON.stringify(object));
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with JSON.parse on mangled texts: truncated, spliced, random characters (property)', () => {
    const mangled = fc.tuple(spacedJson, fc.nat(), fc.nat(), fc.string({ maxLength: 3 })).map(([text, a, b, insert]) => {
      const at = text.length === 0 ? 0 : a % text.length;
      const cut = b % 3;
      return text.slice(0, at) + insert + text.slice(at + cut);
    });
    fc.assert(
      fc.property(
        fc.oneof(
          mangled,
          fc.string(),
          fc.string().map((s) => `{${s}}`),
        ),
        (text) => agree(text),
      ),
      { numRuns: 3000 },
    );
  });
});
