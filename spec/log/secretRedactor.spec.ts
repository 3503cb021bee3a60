import { expect } from 'chai';
import * as fc from 'fast-check';
import { createLogger } from '../../lib/log/logger';
import { REDACTED, SecretRedactor } from '../../lib/log/secretRedactor';

/** A token with every character that escaping or encoding changes: quotes, backslash, space, slash, +&=%, non-ASCII. */
const SECRET = 'tok "quoted" \\ back/slash é+&=%~!*()\' end';

/** Every form the secret can take in output, by name. */
function formsOf(secret: string): Record<string, string> {
  const json = JSON.stringify(secret).slice(1, -1);
  const url = encodeURIComponent(secret);
  return {
    raw: secret,
    'JSON-escaped': json,
    'JSON-escaped twice': JSON.stringify(json).slice(1, -1),
    'URL-encoded': url,
    'URL-encoded, lower-case hex': url.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    'form-encoded (+ for space)': url.replace(/%20/g, '+'),
    'form-encoded by URLSearchParams': new URLSearchParams({ t: secret }).toString().slice('t='.length),
    'UTF-8 read as latin1': Buffer.from(secret, 'utf8').toString('latin1'),
  };
}

describe('SecretRedactor', () => {
  it('redacts a registered secret wherever it occurs', () => {
    const r = new SecretRedactor(['s3cr3t-token']);
    expect(r.redact('Bearer s3cr3t-token and s3cr3t-token')).to.equal(`Bearer ${REDACTED} and ${REDACTED}`);
    expect(r.redact('nothing here')).to.equal('nothing here');
  });

  it('ignores values shorter than 4 characters', () => {
    expect(new SecretRedactor(['abc']).redact('abc')).to.equal('abc');
  });

  for (const [name, form] of Object.entries(formsOf(SECRET))) {
    it(`redacts the secret ${name}`, () => {
      expect(form.length).to.be.at.least(4);
      const r = new SecretRedactor([SECRET]);
      expect(r.redact(`before ${form} after`)).to.equal(`before ${REDACTED} after`);
    });
  }

  it('redacts a secret JSON-escaped inside a JSON text that is JSON-escaped again (a 401 body quoted in a log line)', () => {
    const r = new SecretRedactor([SECRET]);
    const body = JSON.stringify({ error: `invalid token ${SECRET}` });
    const line = `Handshake status 401 Unauthorized -+-+- ${JSON.stringify(body)}`;
    const out = r.redact(line);
    expect(out).not.to.include('quoted').and.not.to.include('slash');
    expect(out).to.include(REDACTED);
  });

  it('redacts every form of any secret (property)', () => {
    fc.assert(
      // '|' around each form (and never in the secret): a match cannot start before the form.
      fc.property(
        fc.string({ minLength: 4, maxLength: 40, unit: 'binary' }).filter((s) => !s.includes('|')),
        (secret) => {
          const r = new SecretRedactor([secret]);
          for (const [name, form] of Object.entries(formsOf(secret))) expect(r.redact(`|${form}|`), name).to.equal(`|${REDACTED}|`);
        },
      ),
    );
  });

  it('cuts a text without leaving part of a secret at the cut (redactHead)', () => {
    const secret = 'abcdefgh-SECRET-0123';
    const r = new SecretRedactor([secret]);
    // A secret straddling the cut, and one before it that shrinks the text when redacted.
    const text = `${secret}${'x'.repeat(170)}${secret}${'y'.repeat(50)}`;
    const head = r.redactHead(text, 200);
    expect(head.length).to.be.at.most(200);
    expect(head.startsWith(`${REDACTED}${'x'.repeat(170)}`)).to.equal(true);
    for (let n = 4; n <= secret.length; n++) expect(head, `a ${n}-character piece of the secret`).not.to.include(secret.slice(0, n));
    expect(r.redactHead('short', 200)).to.equal('short');
    expect(r.redactHead(`${'z'.repeat(10)}${secret}`, 200)).to.equal(`${'z'.repeat(10)}${REDACTED}`);
  });

  it('redactHead is a prefix of the redacted text, at most maxChars long (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9"\\]{4,12}$/),
        fc.array(fc.oneof(fc.constant(null), fc.string({ maxLength: 15 })), { maxLength: 12 }),
        fc.nat(80),
        (secret, pieces, maxChars) => {
          const r = new SecretRedactor([secret]);
          const text = pieces.map((p) => p ?? secret).join('');
          const head = r.redactHead(text, maxChars);
          expect(head.length).to.be.at.most(maxChars);
          expect(r.redact(text).startsWith(head)).to.equal(true);
        },
      ),
    );
  });

  it('makes the logger redact a token with \\ or " echoed JSON-escaped in a 401 body', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l), redactor: new SecretRedactor([SECRET]) });
    const body = JSON.stringify({ message: `token ${SECRET} is not valid` });
    log.error(`POD_HANDSHAKE_401: Handshake status 401 Unauthorized -+-+- ${JSON.stringify(body)}`);
    log.warn(`GET /v1/stream?token=${encodeURIComponent(SECRET)} failed`);
    for (const [name, form] of Object.entries(formsOf(SECRET))) expect(lines.join('\n'), name).not.to.include(form);
    expect(lines.join('\n')).not.to.include('quoted');
  });
});
