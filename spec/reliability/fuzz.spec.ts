import { expect } from 'chai';
import * as fc from 'fast-check';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { from, lastValueFrom, toArray } from 'rxjs';
import { ConfigError } from '../../lib/config/configError';
import { decodeConfig, loadConfig } from '../../lib/config/loadConfig';
import { CollectorError } from '../../lib/errors/collectorError';
import { dedupWindow } from '../../lib/operators/dedupWindow';
import { flattenRecord, type JsonObject } from '../../lib/operators/flatten';
import { normalizeTime } from '../../lib/operators/normalizeTime';
import { CasbClient } from '../../lib/sources/casbClient';
import { isRejectedFrame, parsePodFrame, type PodFrame } from '../../lib/sources/podFrame';
import { parseEventTime } from '../../lib/time/parseEventTime';
import { tempDir } from '../helpers/tempDir';

/** Adversarial JSON-ish text: huge numbers, deep nesting, prototype keys, odd escapes. */
const hostileJson = fc.oneof(
  fc.constantFrom(
    '{"guid":"a","ts":1e400}',
    '{"guid":"a","ts":-1e400}',
    '{"guid":"a","ts":123456789012345678901234567890}',
    '{"__proto__":{"polluted":1},"guid":"p","ts":"2024-01-01T00:00:00Z"}',
    '{"constructor":{"prototype":{"polluted":1}},"guid":"c","ts":0}',
    '{"guid":"\\ud800","ts":0}',
    `{"guid":"deep","ts":0,"x":${'['.repeat(2000)}${']'.repeat(2000)}}`,
    `${'{"a":'.repeat(1500)}1${'}'.repeat(1500)}`,
    '{"guid":"a","ts":"2024-02-30T00:00:00Z"}',
    '{"guid":"a","ts":"9999-12-31T23:59:59.999+14:00"}',
    '{"guid":"","ts":0}',
  ),
  fc.json({ maxDepth: 4 }),
  fc.object({ maxDepth: 3 }).map((o) => JSON.stringify({ guid: 'g', ts: 0, ...o })),
);

describe('fuzz: bad input never crashes, and every rejected record is accounted for', function () {
  this.timeout(60_000);

  it('frame parser: random bytes, invalid UTF-8, hostile JSON: no throw, no prototype pollution', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileJson.map((t) => Buffer.from(t)),
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
        ),
        fc.boolean(),
        (data, binary) => {
          const result = parsePodFrame(data, binary, 'guid');
          if (!isRejectedFrame(result)) {
            const parsed = JSON.parse(result.raw.toString()) as Record<string, unknown>;
            expect(Object.prototype.hasOwnProperty.call(parsed, 'guid') && parsed['guid'] === result.key).to.equal(true);
          } else expect(result.reason).to.be.a('string').that.is.not.empty;
          expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('time normaliser: anything in, a UTC time in 1970-9999 or a reason out', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.double(), fc.bigInt().map(String), fc.string({ maxLength: 40 })), (value) => {
        const parsed = parseEventTime(value);
        if (typeof parsed === 'number') expect(parsed >= 0 && parsed <= 253_402_300_799_999).to.equal(true);
        else expect(parsed.reason).to.be.a('string').that.is.not.empty;
      }),
      { numRuns: 3000 },
    );
  });

  it('flattener: any parent, any field: one record per child (or the parent), parent fields kept, nothing polluted', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'f', 'f_index')), fc.jsonValue({ maxDepth: 2 })),
        fc.constantFrom('f', '__proto__', 'constructor'),
        (raw, field) => {
          const parent = JSON.parse(JSON.stringify(raw)) as JsonObject;
          const children = parent[field];
          const records = flattenRecord(parent, field);
          const expected = Array.isArray(children) && children.length > 0 ? children.length : 1;
          expect(records).to.have.length(expected);
          for (const record of records) {
            for (const key of Object.keys(parent))
              if (key !== field && key !== `${field}_index` && key !== `${field}_count`) expect(record[key]).to.deep.equal(parent[key]);
          }
          expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('PoD chain: every frame is either emitted, dropped as a duplicate, or dead-lettered with a reason', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(hostileJson, fc.constantFrom('{"guid":"dup","ts":"2024-01-01T00:00:00Z"}')), { maxLength: 60 }), async (texts) => {
        const dead: string[] = [];
        let dropped = 0;
        const dedup = dedupWindow<PodFrame>({ key: (f) => f.key, maxKeys: 1000, onDuplicate: () => dropped++ });
        const frames = texts.map((t) => parsePodFrame(Buffer.from(t), false, 'guid'));
        for (const f of frames) if (isRejectedFrame(f)) dead.push(f.reason);
        const accepted = frames.filter((f): f is PodFrame => !isRejectedFrame(f));
        const out = await lastValueFrom(
          from(accepted).pipe(
            dedup,
            normalizeTime('ts', (_f, reason) => dead.push(reason)),
            toArray(),
          ),
        );
        expect(out.length + dropped + dead.length).to.equal(texts.length);
        expect(dead.every((r) => r.length > 0)).to.equal(true);
      }),
      { numRuns: 300 },
    );
  });

  it('config loader: random YAML and random trees give a ConfigError (or a config), never anything else', async () => {
    const { dir, remove } = await tempDir();
    try {
      const file = path.join(dir, 'config.yaml');
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ maxLength: 200 }),
            fc.object({ maxDepth: 4 }).map((o) => yaml.dump(o)),
            fc.constantFrom(
              '__proto__: {polluted: 1}\n',
              'globals: &a [*a]\n',
              'a: !!js/function "function(){}"\n',
              `${'- '.repeat(500)}x\n`,
              'globals:\n  id: 1e400\n',
            ),
          ),
          async (text) => {
            await writeFile(file, text);
            try {
              await loadConfig(file, { baseDir: dir });
            } catch (err) {
              expect(err, String(err)).to.be.instanceOf(CollectorError);
            }
            expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
          },
        ),
        { numRuns: 300 },
      );
      fc.assert(
        fc.property(fc.anything(), (tree) => {
          try {
            decodeConfig(tree, { source: 'fuzz' });
          } catch (err) {
            expect(err).to.be.instanceOf(ConfigError);
            expect((err as ConfigError).problems.length).to.be.greaterThan(0);
          }
        }),
        { numRuns: 1000 },
      );
    } finally {
      await remove();
    }
  });

  it('CASB client: random response bodies give records or CASB_BAD_RESPONSE, never a crash', async () => {
    let body = '';
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(req.url === '/v1/auth' ? '{"auth_token":"t"}' : body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new CasbClient({
      baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
      apiKey: 'k',
      clientId: 'c',
      clientSecret: 's',
      requestsPerSecond: 1000,
      retries: 0,
    });
    try {
      const bodies = fc.oneof(
        fc.string({ maxLength: 100 }),
        fc.json({ maxDepth: 3 }),
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ alerts: v, events: v, next_page_token: v })),
        fc
          .record(
            { size: fc.jsonValue({ maxDepth: 1 }), nextPageToken: fc.jsonValue({ maxDepth: 1 }), content: fc.jsonValue({ maxDepth: 2 }) },
            { requiredKeys: [] },
          )
          .map((v) => JSON.stringify(v)),
      );
      await fc.assert(
        fc.asyncProperty(bodies, async (text) => {
          body = text;
          const checks = [
            async () => expect(await client.alerts(0, 0, 1)).to.be.an('array'),
            async () => {
              const page = await client.events(0, undefined);
              expect(page.events).to.be.an('array');
              expect(page.nextPageToken === undefined || (typeof page.nextPageToken === 'string' && page.nextPageToken !== '')).to.equal(true);
            },
          ];
          for (const check of checks) {
            try {
              await check();
            } catch (err) {
              expect((err as CollectorError).code, String(err)).to.equal('CASB_BAD_RESPONSE');
            }
          }
        }),
        { numRuns: 150 },
      );
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
