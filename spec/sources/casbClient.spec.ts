import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createGzip } from 'node:zlib';
import { CollectorError } from '../../lib/errors/collectorError';
import { createLogger } from '../../lib/log/logger';
import { SecretRedactor } from '../../lib/log/secretRedactor';
import { ProofpointCasbSetupError } from '../../lib/sources/casbErrors';
import { CasbClient, type CasbClientOptions } from '../../lib/sources/casbClient';
import { sleep, waitFor } from '../helpers/waitFor';

interface Seen {
  readonly at: number;
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** The raw query string, without `?` (`''` when none). */
  readonly query: string;
  readonly headers: IncomingMessage['headers'];
  /** The body as received (`''` when none). */
  readonly raw: string;
  /** The body parsed as JSON (undefined when none). */
  readonly body: unknown;
}
type Handler = (req: Seen, res: ServerResponse) => void;

/** A real HTTP server answering each request with the next scripted handler (the last one repeats). */
class ScriptedServer {
  readonly seen: Seen[] = [];
  private readonly server: Server;
  private readonly handlers: Handler[] = [];

  constructor() {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        const url = req.url ?? '';
        const q = url.indexOf('?');
        const seen: Seen = {
          at: Date.now(),
          method: req.method ?? '',
          path: q < 0 ? url : url.slice(0, q),
          query: q < 0 ? '' : url.slice(q + 1),
          headers: req.headers,
          raw: text,
          body: text === '' ? undefined : (JSON.parse(text) as unknown),
        };
        this.seen.push(seen);
        const handler = this.handlers.length > 1 ? this.handlers.shift()! : this.handlers[0]!;
        handler(seen, res);
      });
    });
  }

  script(...handlers: Handler[]): this {
    this.handlers.push(...handlers);
    return this;
  }

  listen(): Promise<string> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(this.server.address() as { port: number }).port}`)));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
const auth = (token = 'tok-1', expires_in?: number): Handler => json(200, { auth_token: token, ...(expires_in === undefined ? {} : { expires_in }) });

describe('CasbClient (real HTTP on loopback)', function () {
  this.timeout(20_000);
  let server: ScriptedServer;
  let client: CasbClient | undefined;
  let logs: string[];

  beforeEach(() => {
    server = new ScriptedServer();
    logs = [];
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await server.close();
  });

  async function connect(options: Partial<CasbClientOptions> = {}): Promise<CasbClient> {
    const baseUrl = await server.listen();
    client = new CasbClient({
      baseUrl,
      apiKey: 'key-123456',
      clientId: 'cid',
      clientSecret: 'secret-abcdef',
      requestsPerSecond: 100,
      backoffInitialMs: 20,
      backoffMaxMs: 200,
      logger: createLogger({ write: (l) => logs.push(l) }),
      ...options,
    });
    return client;
  }

  it('authenticates once with x-api-key and client credentials, then sends the raw token on every call', async () => {
    server.script(auth('tok-A'), json(200, { alerts: [{ id: 1 }] }), json(200, { size: 0, nextPageToken: 'n1', content: [] }));
    const c = await connect();
    expect(await c.alerts(2, 1000, 2000)).to.deep.equal([{ id: 1 }]);
    expect(await c.events(Date.UTC(2024, 0, 1), 'p0')).to.deep.equal({ events: [], nextPageToken: 'n1' });
    expect(server.seen.map((s) => `${s.method} ${s.path}`)).to.deep.equal(['POST /v1/auth', 'POST /v1/alerts', 'GET /v2/events']);
    expect(server.seen.every((s) => s.headers['x-api-key'] === 'key-123456')).to.equal(true);
    expect(server.seen[0]!.body).to.deep.equal({ client_id: 'cid', client_secret: 'secret-abcdef' });
    expect(server.seen[0]!.headers['content-type']).to.equal('application/json');
    expect(server.seen[1]!.headers.authorization).to.equal('tok-A');
    expect(server.seen[1]!.headers['content-type']).to.equal('application/json');
    expect(server.seen[1]!.body).to.deep.equal({ page: 2, time_range: { from: 1000, to: 2000 } });
    expect(server.seen[2]!.headers.authorization).to.equal('tok-A');
    expect(c.requests).to.equal(3);
  });

  describe('GET /v2/events (the publicly observed form)', () => {
    /** An opaque token with the base64 characters a query string must escape (+, /, =). */
    const TOKEN = 'eyJsaW5lTnVtYmVyIjo0MSwiY3VycmVudEtleSI6InRlbmFudF80ZjFj+L3llYXI/9MjAyMy==';

    function expectNoBody(seen: Seen): void {
      expect(seen.raw, 'body').to.equal('');
      expect(seen.headers['content-length'], 'content-length').to.equal(undefined);
      expect(seen.headers['transfer-encoding'], 'transfer-encoding').to.equal(undefined);
      expect(seen.headers['content-type'], 'content-type').to.equal(undefined);
    }

    it('asks for the first page with startTime (ISO-8601 UTC, to the second) only, and no body', async () => {
      server.script(auth('tok-A'), json(200, { size: 0, nextPageToken: 'n1', content: [] }));
      const c = await connect();
      await c.events(Date.UTC(2024, 0, 16, 12, 5, 0, 867), undefined);
      const seen = server.seen[1]!;
      expect(seen.method).to.equal('GET');
      expect(seen.path).to.equal('/v2/events');
      expect(seen.query).to.equal('startTime=2024-01-16T12:05:00Z');
      expect([...new URLSearchParams(seen.query).keys()]).to.deep.equal(['startTime']);
      expect(seen.headers['x-api-key']).to.equal('key-123456');
      expect(seen.headers.authorization).to.equal('tok-A');
      expect(seen.headers.accept).to.match(/^application\/json/);
      expectNoBody(seen);
    });

    it('asks for the next page with nextPage only, the token escaped so that the server reads it back byte for byte', async () => {
      server.script(auth('tok-A'), json(200, { size: 0, nextPageToken: TOKEN, content: [] }));
      const c = await connect();
      await c.events(Date.UTC(2024, 0, 1), TOKEN);
      const seen = server.seen[1]!;
      expect(`${seen.method} ${seen.path}`).to.equal('GET /v2/events');
      expect(seen.query).to.equal(`nextPage=${encodeURIComponent(TOKEN)}`);
      // A raw + would read back as a space, a raw = or / is at the server's mercy.
      expect(seen.query.slice('nextPage='.length)).not.to.match(/[+/=]/);
      const params = new URLSearchParams(seen.query);
      expect([...params.keys()]).to.deep.equal(['nextPage']);
      expect(params.get('nextPage')).to.equal(TOKEN);
      expect(seen.headers.authorization).to.equal('tok-A');
      expectNoBody(seen);
    });

    it('reads { size, nextPageToken, content }: the events of content, the token as given', async () => {
      const content = [
        {
          eventId: 'flevent_9ab748ff5e42cf17677276a963495ca2',
          timestamp: '2020-06-29T18:31:01.867Z',
          additionalProperties: [{ key: 'userIsVAP', value: 'false' }],
        },
        { eventId: 'flevent_66f841926e9ce1960a97d161b3f13900', timestamp: '2020-06-29T22:03:36.603Z' },
      ];
      server.script(auth(), json(200, { size: 2, nextPageToken: TOKEN, content }));
      const c = await connect();
      expect(await c.events(0, undefined)).to.deep.equal({ events: content, nextPageToken: TOKEN });
      expect(logs.filter((l) => l.includes('WARNING'))).to.deep.equal([]);
    });

    it('size 0 with an empty content is caught up: no events, and the token to resume from (none when absent, null or empty)', async () => {
      server.script(
        auth(),
        json(200, { size: 0, nextPageToken: TOKEN, content: [] }),
        json(200, { size: 0, content: [] }),
        json(200, { size: 0, nextPageToken: null, content: [] }),
        json(200, { size: 0, nextPageToken: '', content: [] }),
      );
      const c = await connect();
      expect(await c.events(0, 'here')).to.deep.equal({ events: [], nextPageToken: TOKEN });
      for (let i = 0; i < 3; i++) expect(await c.events(0, 'here')).to.deep.equal({ events: [], nextPageToken: undefined });
    });

    it('goes by content when size disagrees with it, and says so', async () => {
      server.script(
        auth(),
        json(200, { size: 5, nextPageToken: 't1', content: [{ eventId: 'a' }] }),
        json(200, { size: 0, nextPageToken: 't2', content: [{ eventId: 'b' }, { eventId: 'c' }] }),
        json(200, { size: 3, nextPageToken: 't3', content: [] }),
      );
      const c = await connect();
      expect(await c.events(0, undefined)).to.deep.equal({ events: [{ eventId: 'a' }], nextPageToken: 't1' });
      expect(await c.events(0, 't1')).to.deep.equal({ events: [{ eventId: 'b' }, { eventId: 'c' }], nextPageToken: 't2' });
      expect(await c.events(0, 't2')).to.deep.equal({ events: [], nextPageToken: 't3' });
      const warnings = logs.filter((l) => l.includes('WARNING'));
      expect(warnings).to.have.length(3);
      expect(warnings[0]).to.match(
        /\/v2\/events answered "size": 5 with 1 event\(s\) in "content": going by "content" \(its events are delivered and paging goes on\)$/,
      );
      expect(warnings[1]).to.match(/"size": 0 with 2 event\(s\) in "content"/);
      expect(warnings[2]).to.match(/"size": 3 with 0 event\(s\) in "content": going by "content" \(caught up\)$/);
    });

    it("reads the earlier guess's names (events, next_page_token) when the observed ones are absent", async () => {
      server.script(
        auth(),
        json(200, { events: [{ eventId: 'a' }], next_page_token: 'old-1' }),
        json(200, { content: [{ eventId: 'b' }], events: [{ eventId: 'x' }], nextPageToken: 'new-2', next_page_token: 'old-2' }),
      );
      const c = await connect();
      expect(await c.events(0, undefined)).to.deep.equal({ events: [{ eventId: 'a' }], nextPageToken: 'old-1' });
      expect(await c.events(0, 'old-1')).to.deep.equal({ events: [{ eventId: 'b' }], nextPageToken: 'new-2' });
    });

    it('rejects answers that break the contract with CASB_BAD_RESPONSE naming what is wrong', async () => {
      const cases: Array<[unknown, RegExp]> = [
        ['<html>oops</html>', /not JSON/],
        [null, /no "content" list/],
        [[], /no "content" list/],
        [{ size: 1, nextPageToken: 't' }, /no "content" list/],
        [{ size: 0, nextPageToken: 't', content: {} }, /no "content" list/],
        [{ events: 'none' }, /no "events" list/],
        [{ size: 0, nextPageToken: 5, content: [] }, /"nextPageToken" is not a string/],
        [{ next_page_token: ['t'], events: [] }, /"next_page_token" is not a string/],
        [{ size: 1, content: [{ eventId: 'a' }] }, /1 event\(s\) without a "nextPageToken"/],
        [{ size: 1, nextPageToken: '', content: [{ eventId: 'a' }] }, /1 event\(s\) without a "nextPageToken"/],
        [{ size: '0', nextPageToken: 't', content: [] }, /"size" is not a count/],
        [{ size: -1, nextPageToken: 't', content: [] }, /"size" is not a count/],
        [{ size: 1.5, nextPageToken: 't', content: [{}] }, /"size" is not a count/],
      ];
      server.script(auth(), ...cases.map(([body]): Handler => (typeof body === 'string' ? (_req, res) => res.end(body) : json(200, body))));
      const c = await connect();
      for (const [body, reason] of cases) {
        try {
          await c.events(0, undefined);
          expect.fail(`must throw for ${JSON.stringify(body)}`);
        } catch (err) {
          expect((err as CollectorError).code, JSON.stringify(body)).to.equal('CASB_BAD_RESPONSE');
          expect((err as Error).message, JSON.stringify(body))
            .to.match(/^\/v2\/events answered with /)
            .and.match(reason);
        }
      }
    });

    it('re-sends the same GET, without a body, after a 401 (new token) and after a 503', async () => {
      server.script(auth('tok-A'), json(401, {}), auth('tok-B'), json(503, {}), json(200, { size: 0, nextPageToken: 't', content: [] }));
      const c = await connect();
      await c.events(0, TOKEN);
      const calls = server.seen.filter((s) => s.path === '/v2/events');
      expect(calls.map((s) => `${s.method} ${s.query} ${String(s.headers.authorization)}`)).to.deep.equal([
        `GET nextPage=${encodeURIComponent(TOKEN)} tok-A`,
        `GET nextPage=${encodeURIComponent(TOKEN)} tok-B`,
        `GET nextPage=${encodeURIComponent(TOKEN)} tok-B`,
      ]);
      calls.forEach(expectNoBody);
    });
  });

  it('renews the token before expires_in runs out', async () => {
    server.script(auth('tok-A', 61), json(200, { alerts: [] }), auth('tok-B', 3600), json(200, { alerts: [] }));
    let now = 1_000_000;
    const c = await connect({ now: () => now, renewBeforeMs: 60_000 });
    await c.alerts(0, 0, 1);
    now += 2000;
    await c.alerts(0, 0, 1);
    expect(server.seen.map((s) => `${s.path} ${s.headers.authorization ?? ''}`.trim())).to.deep.equal([
      '/v1/auth',
      '/v1/alerts tok-A',
      '/v1/auth',
      '/v1/alerts tok-B',
    ]);
  });

  it('renews the token once on a 401; a second 401 is ProofpointCasbSetupError 101', async () => {
    server.script(auth('tok-A'), json(401, { error: 'expired' }), auth('tok-B'), json(200, { alerts: [{ id: 2 }] }));
    const c = await connect();
    expect(await c.alerts(0, 0, 1)).to.deep.equal([{ id: 2 }]);

    await server.close();
    server = new ScriptedServer().script(auth('tok-A'), json(401, { error: 'no' }), auth('tok-B'), json(401, { error: 'still no' }));
    await client!.close();
    const c2 = await connect();
    try {
      await c2.alerts(0, 0, 1);
      expect.fail('must throw');
    } catch (err) {
      expect(err).to.be.instanceOf(ProofpointCasbSetupError);
      expect((err as CollectorError).code).to.equal('CASB_SETUP');
      expect((err as Error).message).to.match(
        /^ProofpointCasbSetupError 101: Potential issue with authentication\. Please check credentials and detailed error message: .*still no.*inputs\.proofpoint_casb\.credentials/,
      );
    }
  });

  it('renews, without calling it a setup error, a fresh token that expired while its request waited out a 429', async () => {
    let now = 1_000_000;
    server.script(
      auth('tok-A', 3600),
      json(401, { error: 'expired' }),
      auth('tok-B', 5),
      (_req, res) => {
        now += 10_000; // the 429 pause outlives tok-B's 5 s
        json(429, { error: 'slow down' }, { 'retry-after': '0' })(_req, res);
      },
      json(401, { error: 'expired' }),
      auth('tok-C', 3600),
      json(200, { alerts: [{ id: 3 }] }),
    );
    const c = await connect({ now: () => now, renewBeforeMs: 0 });
    expect(await c.alerts(0, 0, 1)).to.deep.equal([{ id: 3 }]);
    expect(server.seen.map((s) => `${s.path} ${s.headers.authorization ?? ''}`.trim())).to.deep.equal([
      '/v1/auth',
      '/v1/alerts tok-A',
      '/v1/auth',
      '/v1/alerts tok-B',
      '/v1/alerts tok-B',
      '/v1/auth',
      '/v1/alerts tok-C',
    ]);
    expect(logs.some((l) => /answered 401 after its token expired while waiting: renewing it/.test(l))).to.equal(true);
  });

  it('reports refused credentials as ProofpointCasbSetupError 101 without leaking them', async () => {
    server.script(json(401, { error: 'bad client' }));
    const c = await connect();
    try {
      await c.alerts(0, 0, 1);
      expect.fail('must throw');
    } catch (err) {
      expect((err as CollectorError).code).to.equal('CASB_SETUP');
      expect((err as Error).message)
        .to.include('/v1/auth answered 401')
        .and.not.include('secret-abcdef');
    }
  });

  it('never logs the auth token, even holding \\ or " and echoed JSON-escaped in 5xx and 401 bodies', async () => {
    const token = 'tok-A "echo" \\ end';
    const echo = (status: number): Handler => json(status, { error: `token ${token} refused` });
    server.script(auth(token), echo(500), echo(401), auth(token), echo(401));
    const c = await connect();
    let message = '';
    try {
      await c.alerts(0, 0, 1);
      expect.fail('must throw');
    } catch (err) {
      expect((err as CollectorError).code).to.equal('CASB_SETUP');
      message = (err as Error).message;
    }
    expect(message).to.include('refused');
    expect(logs.join('\n')).to.include('HTTP 500');
    for (const [name, text] of [
      ['error', message],
      ['logs', logs.join('\n')],
    ] as const) {
      expect(text, name).not.to.include('echo');
    }
  });

  it('registers every auth_token it receives, with the api key and client secret, in the redactor it is given', async () => {
    server.script(auth('tok-first-1'), json(401, {}), auth('tok-second-2'), json(200, { alerts: [] }));
    const redactor = new SecretRedactor();
    const c = await connect({ redactor });
    await c.alerts(0, 0, 1);
    expect(server.seen.map((s) => s.path)).to.deep.equal(['/v1/auth', '/v1/alerts', '/v1/auth', '/v1/alerts']);
    // What the process logs or dead-letters through this redactor masks them all.
    expect(redactor.redact('tok-first-1 tok-second-2 key-123456 secret-abcdef')).to.equal('*** *** *** ***');
    expect(redactor.redact(JSON.stringify({ echo: 'tok-second-2' }))).to.equal('{"echo":"***"}');
  });

  it('obeys Retry-After in seconds and as an HTTP date, pausing every request of the input', async () => {
    server.script(
      auth(),
      json(429, {}, { 'retry-after': '1' }),
      json(200, { alerts: [] }),
      (req, res) => json(429, {}, { 'retry-after': new Date(Date.now() + 2500).toUTCString() })(req, res),
      json(200, { alerts: [] }),
    );
    const c = await connect();
    await c.alerts(0, 0, 1);
    const [first, retry] = server.seen.slice(1, 3);
    expect(retry!.at - first!.at).to.be.at.least(950);
    // A second caller during the pause waits too (same api key).
    const p1 = c.alerts(0, 0, 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const p2 = c.alerts(0, 0, 1);
    await Promise.all([p1, p2]);
    const after = server.seen.slice(3);
    expect(after[1]!.at - after[0]!.at).to.be.at.least(1000);
    expect(logs.filter((l) => /429 Too Many Requests: pausing every request of this input/.test(l))).to.have.length(2);
  });

  it('caps an enormous Retry-After (10^9 s) at an hour and holds the pause instead of retrying at once', async () => {
    server.script(auth(), json(429, {}, { 'retry-after': '1000000000' }), json(200, { alerts: [] }));
    const c = await connect();
    const pending = c.alerts(0, 0, 1).then(
      () => 'resolved',
      () => 'rejected',
    );
    await waitFor(() => logs.some((l) => l.includes('429 Too Many Requests')), 'the 429');
    expect(logs.find((l) => l.includes('429 Too Many Requests'))).to.match(
      /pausing every request of this input for 3600\.000 s \(Retry-After asked for 1000000000\.000 s; capped at 3600 s\)/,
    );
    // Nothing to wait for: the point is that nothing happens (a timer past 2^31 ms fires at once).
    await sleep(500);
    expect(server.seen.map((s) => s.path)).to.deep.equal(['/v1/auth', '/v1/alerts']);
    await c.close();
    expect(await pending).to.equal('rejected');
  });

  it('holds a capped Retry-After for the whole cap, in seconds or as a far HTTP date', async () => {
    server.script(
      auth(),
      json(429, {}, { 'retry-after': '1000000000' }),
      json(429, {}, { 'retry-after': 'Tue, 01 Jan 2200 00:00:00 GMT' }),
      json(200, { alerts: [{ id: 9 }] }),
    );
    const c = await connect({ retryAfterMaxMs: 600 });
    expect(await c.alerts(0, 0, 1)).to.deep.equal([{ id: 9 }]);
    const at = server.seen.slice(1).map((s) => s.at);
    expect(at[1]! - at[0]!).to.be.at.least(590);
    expect(at[2]! - at[1]!).to.be.at.least(590);
    const pauses = logs.filter((l) => l.includes('429 Too Many Requests'));
    expect(pauses[0]).to.match(/for 0\.600 s \(Retry-After asked for 1000000000\.000 s; capped at 0\.6 s\)$/);
    expect(pauses[1]).to.match(/for 0\.600 s \(Retry-After asked for \d+\.\d{3} s; capped at 0\.6 s\)$/);
  });

  it("falls back to a capped backoff, with the seeds' messages, when Retry-After is missing, empty or unreadable", async () => {
    server.script(auth(), json(429, {}), json(429, {}, { 'retry-after': '' }), json(429, {}, { 'retry-after': 'soon' }), json(200, { alerts: [] }));
    const c = await connect();
    await c.alerts(0, 0, 1);
    const warnings = logs.filter((l) => l.includes('CASB_RETRY_AFTER'));
    expect(warnings[0]).to.match(/WARNING .*CASB_RETRY_AFTER: Retry-After header not found; waiting/);
    expect(warnings[1]).to.match(/CASB_RETRY_AFTER: Retry-After header value is None; waiting/);
    expect(warnings[2]).to.match(/CASB_RETRY_AFTER: Retry-After header value is neither seconds nor an HTTP date: "soon"/);
  });

  describe('redirects', () => {
    let other: ScriptedServer;
    let otherUrl: string;
    beforeEach(async () => {
      // The "other origin": a second loopback server on another port, which must hear nothing.
      other = new ScriptedServer().script(auth('tok-OTHER'), json(200, { alerts: [{ id: 'stolen' }] }));
      otherUrl = await other.listen();
    });
    afterEach(() => other.close());

    const redirect =
      (status: number, to: () => string): Handler =>
      (_req, res) => {
        res.writeHead(status, { location: to() });
        res.end();
      };

    /** The call's rejection (a resolved call fails the test later, after the leak check). */
    async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
      try {
        await call();
        return undefined;
      } catch (err) {
        return err;
      }
    }

    function expectRefused(err: unknown, pathName: string, status: number): void {
      expect(err).to.be.instanceOf(CollectorError);
      const e = err as CollectorError;
      expect(e.code).to.equal('CASB_REDIRECT_REFUSED');
      expect(e.message).to.include(`${pathName} answered ${status} with a redirect`).and.include('inputs.proofpoint_casb.override_url_base');
    }

    function expectOtherOriginUntouched(): void {
      const leaked = other.seen.filter(
        (s) => s.headers['x-api-key'] !== undefined || s.headers.authorization !== undefined || JSON.stringify(s.body ?? '').includes('client_secret'),
      );
      expect(leaked, 'requests carrying x-api-key, Authorization or client_secret at the other origin').to.deep.equal([]);
      expect(other.seen).to.have.length(0);
    }

    it('never follows a 307/308 of /v1/auth to another origin (it would re-send x-api-key and client_secret there)', async () => {
      for (const status of [307, 308]) {
        server.script(redirect(status, () => `${otherUrl}/v1/auth`));
        const c = await connect();
        const err = await failureOf(() => c.alerts(0, 0, 1));
        expectOtherOriginUntouched();
        expectRefused(err, '/v1/auth', status);
        expect((err as Error).message).to.include(otherUrl);
        // Not retried: one request, no loop.
        expect(server.seen.map((s) => s.path)).to.deep.equal(['/v1/auth']);
        await c.close();
        await server.close();
        server = new ScriptedServer();
      }
    });

    it('never follows a redirect of /v1/alerts or /v2/events to another origin, another port or scheme (it would carry x-api-key and the token)', async () => {
      server.script(
        auth('tok-A'),
        redirect(302, () => `${otherUrl}/v1/alerts`),
        redirect(307, () => `${otherUrl}/v2/events`),
        redirect(301, () => `${otherUrl.replace('http:', 'https:')}/v1/alerts`),
      );
      const c = await connect();
      const errors = [await failureOf(() => c.alerts(0, 0, 1)), await failureOf(() => c.events(0, undefined)), await failureOf(() => c.alerts(0, 0, 1))];
      expectOtherOriginUntouched();
      expectRefused(errors[0], '/v1/alerts', 302);
      expectRefused(errors[1], '/v2/events', 307);
      expectRefused(errors[2], '/v1/alerts', 301);
      expect(server.seen.map((s) => `${s.method} ${s.path}`)).to.deep.equal(['POST /v1/auth', 'POST /v1/alerts', 'GET /v2/events', 'POST /v1/alerts']);
      expect(logs.join('\n')).not.to.include('tok-A');
    });

    it('refuses a redirect within the same origin too (the API never redirects; 301/302 would turn the POST into a GET)', async () => {
      server.script(
        auth('tok-A'),
        redirect(307, () => '/v1/alerts-elsewhere'),
      );
      const c = await connect();
      expectRefused(await failureOf(() => c.alerts(0, 0, 1)), '/v1/alerts', 307);
      expect(server.seen.map((s) => s.path)).to.deep.equal(['/v1/auth', '/v1/alerts']);
    });
  });

  it('retries 5xx and resets with backoff, then gives up with CASB_REQUEST_FAILED', async () => {
    const reset: Handler = (_req, res) => res.socket?.destroy();
    server.script(auth(), json(500, { error: 'boom' }), reset, json(503, {}), json(200, { alerts: [{ id: 3 }] }));
    const c = await connect();
    expect(await c.alerts(0, 0, 1)).to.deep.equal([{ id: 3 }]);
    expect(logs.filter((l) => /retry \d of 6/.test(l))).to.have.length(3);

    await server.close();
    await client!.close();
    server = new ScriptedServer().script(auth(), json(502, { error: 'down' }));
    const c2 = await connect({ retries: 2 });
    try {
      await c2.alerts(0, 0, 1);
      expect.fail('must throw');
    } catch (err) {
      expect((err as CollectorError).code).to.equal('CASB_REQUEST_FAILED');
      expect((err as Error).message).to.match(/\/v1\/alerts failed: HTTP 502/);
    }
  });

  it('times out a request that never answers, and retries it', async () => {
    const hang: Handler = () => undefined;
    server.script(auth(), hang, json(200, { alerts: [] }));
    const c = await connect({ timeoutMs: 200 });
    const started = Date.now();
    expect(await c.alerts(0, 0, 1)).to.deep.equal([]);
    expect(Date.now() - started).to.be.at.least(200);
  });

  it('holds requests past a requests_limits budget until its period renews, every budget applying', async () => {
    server.script(auth(), json(200, { alerts: [] }));
    const c = await connect({
      requestsPerSecond: 100,
      requestsLimits: [
        { periodMs: 60_000, requests: 100 },
        { periodMs: 700, requests: 3 },
      ],
    });
    const started = Date.now();
    await Promise.all([0, 1, 2, 3, 4].map((page) => c.alerts(page, 0, 1)));
    // 6 requests (the authentication too), 3 per 700 ms: the last 3 wait for the second period.
    expect(server.seen).to.have.length(6);
    expect(server.seen[3]!.at - started).to.be.at.least(600);
    expect(server.seen[2]!.at - started).to.be.below(600);
  });

  it('paces requests to requestsPerSecond', async () => {
    server.script(auth(), json(200, { alerts: [] }));
    const c = await connect({ requestsPerSecond: 5 });
    await Promise.all([c.alerts(0, 0, 1), c.alerts(1, 0, 1), c.alerts(2, 0, 1), c.alerts(3, 0, 1)]);
    // The token request and the four calls start 200 ms apart: four gaps span 800 ms. Read over the whole
    // span, as one arrival's jitter on a busy machine (a connection's set-up) moves a single gap by tens of
    // ms; unpaced, the span is ~10 ms.
    const at = server.seen.map((s) => s.at);
    expect(server.seen.map((s) => s.path)).to.deep.equal(['/v1/auth', '/v1/alerts', '/v1/alerts', '/v1/alerts', '/v1/alerts']);
    expect(at[4]! - at[0]!).to.be.at.least(4 * 200 * 0.8);
  });

  it('a gzip body that inflates past max_response_size_in_mb is CASB_BAD_RESPONSE naming the setting, read no further and not retried', async function () {
    this.timeout(60_000);
    // About 300 KiB on the wire, 300 MiB once inflated.
    const inflated = 300 * 1024 * 1024;
    const bomb = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const gzip = createGzip({ level: 9 });
      gzip.on('data', (d: Buffer) => chunks.push(d));
      gzip.on('end', () => resolve(Buffer.concat(chunks)));
      gzip.on('error', reject);
      const zeros = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < inflated / zeros.length; i++) gzip.write(zeros);
      gzip.end();
    });
    const bombHandler: Handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
      res.end(bomb);
    };
    server.script(auth('tok-A'), bombHandler);
    const c = await connect({ maxResponseBytes: 1024 * 1024, settingPrefix: 'inputs.proofpoint_casb' });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    let failure: unknown;
    try {
      await c.events(Date.UTC(2024, 0, 1), undefined);
    } catch (err) {
      failure = err;
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    expect((peak - rssBefore) / 1048576, 'RSS growth, MiB').to.be.lessThan(64);
    expect(failure).to.be.instanceOf(CollectorError);
    expect((failure as CollectorError).code).to.equal('CASB_BAD_RESPONSE');
    expect((failure as CollectorError).message).to.match(
      /\/v2\/events answered with a body larger than 1 MiB \(inputs\.proofpoint_casb\.max_response_size_in_mb\)/,
    );
    expect(
      server.seen.filter((s) => s.path === '/v2/events'),
      'not retried',
    ).to.have.length(1);
  });

  it('rejects bodies that break the contract with CASB_BAD_RESPONSE', async () => {
    server.script(auth(), (_req, res) => res.end('<html>oops</html>'), json(200, { items: [] }), json(200, { size: 0, content: [], nextPageToken: 5 }));
    const c = await connect();
    for (const call of [() => c.alerts(0, 0, 1), () => c.alerts(0, 0, 1), () => c.events(0, undefined)]) {
      try {
        await call();
        expect.fail('must throw');
      } catch (err) {
        expect((err as CollectorError).code).to.equal('CASB_BAD_RESPONSE');
      }
    }
    expect(logs.join('\n')).not.to.include('secret-abcdef');
  });

  it('cancels a request waiting in a 429 pause when closed', async () => {
    server.script(auth(), json(429, {}, { 'retry-after': '30' }));
    const c = await connect();
    const pending = c.alerts(0, 0, 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await c.close();
    try {
      await pending;
      expect.fail('must reject');
    } catch {
      expect(Date.now() - started).to.be.lessThan(1000);
    }
  });
});
