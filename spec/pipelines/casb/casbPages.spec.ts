import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { createLogger } from '../../../lib/log/logger';
import { CasbClient } from '../../../lib/sources/casbClient';
import { ServiceCounters } from '../../../lib/stats/serviceCounters';
import { eventPages } from '../../../pipelines/casb/casbPages';
import type { CasbEventsState } from '../../../pipelines/casb/casbState';

/** A CASB API whose `/v2/events` answers one event per page and the tokens of `next(token)` (the request's token, or undefined for the first page). */
function eventsApi(next: (token: string | undefined) => string): { server: Server; requests: Array<string | undefined> } {
  const requests: Array<string | undefined> = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/v1/auth') {
        res.end(JSON.stringify({ auth_token: 'tok-1', expires_in: 3600 }));
        return;
      }
      const token = new URL(req.url ?? '/', 'http://x').searchParams.get('nextPage') ?? undefined;
      requests.push(token);
      res.end(JSON.stringify({ size: 1, nextPageToken: next(token), content: [{ eventId: `e-${requests.length}`, timestamp: '2024-01-01T00:00:00Z' }] }));
    });
  });
  return { server, requests };
}

describe('eventPages (a real CasbClient against a loopback API)', () => {
  const start: CasbEventsState = { initial_start_time_in_utc: '2024-01-01T00:00:00Z', start_time_in_utc: '2024-01-01T00:00:00Z', last_page_token: null };
  let server: Server | undefined;
  let client: CasbClient | undefined;
  afterEach(async () => {
    await client?.close();
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
    server = client = undefined;
  });

  /** Runs one cycle of `eventPages` to its end; returns the states of its pages. */
  async function cycle(next: (token: string | undefined) => string, from: CasbEventsState = start) {
    const api = eventsApi(next);
    server = api.server;
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    const logs: string[] = [];
    const logger = createLogger({ write: (l) => logs.push(l) });
    client = new CasbClient({
      baseUrl: `http://127.0.0.1:${(api.server.address() as { port: number }).port}`,
      apiKey: 'k-123456',
      clientId: 'c',
      clientSecret: 's-123456',
      requestsPerSecond: 1000,
      logger,
    });
    const counters = new ServiceCounters();
    const states: Array<CasbEventsState | undefined> = [];
    for await (const page of eventPages(
      { client, logger, maxPagesPerCycle: 200 },
      { pullingId: Date.UTC(2024, 0, 2), counters, signal: new AbortController().signal },
      from,
    )) {
      states.push(page.nextState as CasbEventsState | undefined);
      page.written.resolve();
    }
    return { requests: api.requests, logs, counters, states };
  }

  it('stops the cycle at a nextPageToken that does not advance, with a coded warning, counted', async () => {
    const { requests, logs, counters, states } = await cycle(() => 'stuck');
    expect(requests, 'requests of the cycle').to.deep.equal([undefined, 'stuck']);
    expect(counters.requests).to.equal(2);
    expect(counters.pageTokenRepeats).to.equal(1);
    expect(states.map((s) => s?.last_page_token)).to.deep.equal(['stuck', 'stuck']);
    expect(logs.filter((l) => l.includes('WARNING'))).to.have.length(1);
    expect(logs.find((l) => l.includes('WARNING'))).to.match(
      /CASB_PAGE_TOKEN_REPEATED: \/v2\/events answered nextPageToken "stuck" again within this pull cycle/,
    );
  });

  it('stops at a token seen earlier in the cycle (a loop A → B → A), and at the stored token the cycle started from', async () => {
    const loop = await cycle((t) => (t === 'A' ? 'B' : 'A'));
    expect(loop.requests).to.deep.equal([undefined, 'A', 'B']);
    expect(loop.counters.pageTokenRepeats).to.equal(1);
    await client?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = client = undefined;
    const resumed = await cycle(() => 'stored', { ...start, last_page_token: 'stored' });
    expect(resumed.requests).to.deep.equal(['stored']);
    expect(resumed.counters.pageTokenRepeats).to.equal(1);
  });

  it('follows tokens that advance until the cycle bound', async () => {
    const { requests, counters } = await cycle((t) => `p${Number((t ?? 'p0').slice(1)) + 1}`);
    expect(requests).to.have.length(200);
    expect(counters.pageTokenRepeats).to.equal(0);
  });
});
