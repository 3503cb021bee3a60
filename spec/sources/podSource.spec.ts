import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Subject, Subscription } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { Valve } from '../../lib/flow/valve';
import { createLogger } from '../../lib/log/logger';
import { SecretRedactor } from '../../lib/log/secretRedactor';
import { podSource, podStreamUrl, type PodSourceEvent, type PodSourceOptions } from '../../lib/sources/podSource';
import { sleep, waitFor } from '../helpers/waitFor';

/** A bare websocket server whose every handshake is decided by the test. */
class TestServer {
  readonly requests: IncomingMessage[] = [];
  readonly sockets: WebSocket[] = [];
  private readonly http: Server;
  private readonly wss: WebSocketServer;

  constructor(decide: (req: IncomingMessage, socket: Duplex) => boolean, onConnection: (ws: WebSocket) => void, options: { autoPong?: boolean } = {}) {
    this.wss = new WebSocketServer({ noServer: true, autoPong: options.autoPong ?? true });
    this.http = createServer();
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.requests.push(req);
      if (!decide(req, socket)) return;
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.push(ws);
        onConnection(ws);
      });
    });
  }

  listen(): Promise<string> {
    return new Promise((resolve) => this.http.listen(0, '127.0.0.1', () => resolve(`ws://127.0.0.1:${(this.http.address() as { port: number }).port}`)));
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

/**
 * A raw TCP server that answers each connection by dripping `answer` one byte every `everyMs`
 * (after sending its first `prefixBytes` at once), the way a hostile or broken proxy might.
 */
class DripServer {
  connections = 0;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server: NetServer;

  constructor(answer: string, everyMs: number, prefixBytes = 0) {
    this.server = createNetServer((socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
      const bytes = Buffer.from(answer, 'latin1');
      socket.write(bytes.subarray(0, prefixBytes));
      let i = prefixBytes;
      const timer = setInterval(() => {
        if (i >= bytes.length || socket.destroyed) return clearInterval(timer);
        socket.write(bytes.subarray(i, ++i));
      }, everyMs);
      this.timers.add(timer);
    });
  }

  listen(): Promise<string> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(`ws://127.0.0.1:${(this.server.address() as { port: number }).port}`)));
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function reject(socket: Duplex, status: string, body: string): false {
  socket.end(
    `HTTP/1.1 ${status}\r\ndate: Fri, 09 Aug 2024 08:48:10 GMT\r\ncontent-type: text/plain;charset=iso-8859-1\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  return false;
}

describe('podSource (real websocket on loopback)', function () {
  this.timeout(10_000);
  let server: TestServer | undefined;
  let subscription: Subscription | undefined;
  let logs: string[];

  beforeEach(() => {
    logs = [];
  });
  afterEach(async () => {
    subscription?.unsubscribe();
    await server?.close();
    server = undefined;
  });

  function start(url: string, overrides: Partial<PodSourceOptions> = {}): Array<{ at: number; event: PodSourceEvent }> {
    const events: Array<{ at: number; event: PodSourceEvent }> = [];
    subscription = podSource({
      urlBase: url,
      clusterId: 'acme_hosted',
      type: 'message',
      apiToken: 'tok-123',
      periodMs: 200,
      sinceTime: () => undefined,
      logger: createLogger({ write: (l) => logs.push(l) }),
      random: () => 1,
      ...overrides,
    }).subscribe((event) => events.push({ at: Date.now(), event }));
    return events;
  }

  it('builds the PoD URL with cid, type and a sinceTime in UTC', () => {
    expect(podStreamUrl('wss://logstream.proofpoint.com:443', 'acme', 'maillog')).to.equal('wss://logstream.proofpoint.com/v1/stream?cid=acme&type=maillog');
    expect(podStreamUrl('ws://h:1/', 'a b', 'message', Date.UTC(2024, 4, 22, 19))).to.equal(
      'ws://h:1/v1/stream?cid=a+b&type=message&sinceTime=2024-05-22T19%3A00%3A00Z',
    );
  });

  it('sends the bearer token, emits text and binary frames, and reconnects no sooner than periodMs after the last start', async () => {
    server = new TestServer(
      () => true,
      (ws) => {
        ws.send('{"guid":"a"}');
        ws.send(Buffer.from('{"guid":"b"}'), { binary: true });
        ws.close(1000, 'bye');
      },
    );
    const events = start(await server.listen(), { periodMs: 300 });
    await waitFor(() => events.filter((e) => e.event.kind === 'open').length >= 2, 'a second session');
    const req = server.requests[0]!;
    expect(req.headers.authorization).to.equal('Bearer tok-123');
    expect(req.url).to.equal('/v1/stream?cid=acme_hosted&type=message');
    const kinds = events.map((e) => (e.event.kind === 'frame' ? `${e.event.data.toString()}${e.event.isBinary ? '(bin)' : ''}` : e.event.kind));
    expect(kinds.slice(0, 5)).to.deep.equal(['open', '{"guid":"a"}', '{"guid":"b"}(bin)', 'closed', 'open']);
    const opens = events.filter((e) => e.event.kind === 'open').map((e) => e.at);
    expect(opens[1]! - opens[0]!).to.be.at.least(290);
  });

  it('logs a 409 as the seeds do, and backs off exponentially', async () => {
    server = new TestServer(
      (_req, socket) => reject(socket, '409 Conflict', 'Exceeded maximum number of sessions per token\r\n'),
      () => undefined,
    );
    start(await server.listen(), { periodMs: 50, backoffMaxMs: 400 });
    await waitFor(() => logs.filter((l) => l.includes('POD_HANDSHAKE_409')).length >= 4, '4 attempts, each logged');
    const errors = logs.filter((l) => l.includes('POD_HANDSHAKE_409'));
    expect(errors[0]).to.match(
      /ERROR .* -> POD_HANDSHAKE_409: Handshake status 409 Conflict -\+-\+- \{"date":"Fri, 09 Aug 2024 08:48:10 GMT","content-type":"text\/plain;charset=iso-8859-1","content-length":"47"\} -\+-\+- "Exceeded maximum number of sessions per token" - another session holds this api_token for type=message/,
    );
    const delays = errors.map((l) => /Retrying in ([\d.]+) s/.exec(l)?.[1]);
    expect(delays.slice(0, 4)).to.deep.equal(['0.050', '0.100', '0.200', '0.400']);
  });

  it('names the settings to check on 401, 400 and 404, and retries those slowly', async () => {
    const statuses = ['401 Unauthorized', '400 Bad Request', '404 Not Found'];
    server = new TestServer(
      (_req, socket) => reject(socket, statuses[(server!.requests.length - 1) % 3]!, 'no'),
      () => undefined,
    );
    start(await server.listen(), { periodMs: 10, badSettingsRetryMs: 150 });
    await waitFor(() => logs.filter((l) => l.includes('POD_HANDSHAKE_')).length >= 3, '3 attempts, each logged');
    const errors = logs.filter((l) => l.includes('POD_HANDSHAKE_'));
    expect(errors[0]).to.match(/POD_HANDSHAKE_401: .* check inputs\.proofpoint_on_demand\.credentials\.api_token .*cluster_id.*Retrying in 0\.150 s/);
    expect(errors[1]).to.match(
      /POD_HANDSHAKE_400: .* check inputs\.proofpoint_on_demand\.credentials\.cluster_id, the service name "message" and inputs\.proofpoint_on_demand\.services\.message\.start_time/,
    );
    expect(errors[2]).to.match(/POD_HANDSHAKE_404: .* check inputs\.proofpoint_on_demand\.services\.message\.override_url_base/);
    expect(JSON.stringify(logs)).not.to.include('tok-123');
  });

  it('never logs a token holding \\ or " that a 401 body echoes JSON-escaped (and quoted again in the line)', async () => {
    const token = 'tok-"echo"\\-123';
    server = new TestServer(
      (_req, socket) => reject(socket, '401 Unauthorized', JSON.stringify({ error: `invalid token ${token}` })),
      () => undefined,
    );
    start(await server.listen(), {
      apiToken: token,
      periodMs: 10,
      badSettingsRetryMs: 10_000,
      logger: createLogger({ write: (l) => logs.push(l), redactor: new SecretRedactor([token]) }),
    });
    await waitFor(() => logs.some((l) => l.includes('POD_HANDSHAKE_401')), 'the 401');
    expect(server.requests[0]!.headers.authorization).to.equal(`Bearer ${token}`);
    const line = logs.find((l) => l.includes('POD_HANDSHAKE_401'))!;
    expect(line).to.include('invalid token ***');
    expect(logs.join('\n')).not.to.include('echo');
  });

  it('reports an unreachable endpoint, naming the URL setting', async () => {
    start('ws://127.0.0.1:1', { periodMs: 10_000 });
    await waitFor(() => logs.some((l) => l.includes('POD_HANDSHAKE_FAILED')), 'an error');
    expect(logs.find((l) => l.includes('POD_HANDSHAKE_FAILED'))).to.match(/Cannot connect to the PoD Log API .*ECONNREFUSED.*override_url_base/);
  });

  it('drops a session whose peer stops answering pings (POD_PONG_TIMEOUT) and starts a new one', async () => {
    server = new TestServer(
      () => true,
      () => undefined,
      { autoPong: false },
    );
    const events = start(await server.listen(), { periodMs: 10, pingIntervalMs: 50, pongTimeoutMs: 120 });
    await waitFor(() => events.filter((e) => e.event.kind === 'open').length >= 2, 'a new session');
    expect(logs.some((l) => /WARNING .*POD_PONG_TIMEOUT: no pong from the PoD Log API/.test(l))).to.equal(true);
    expect(events.find((e) => e.event.kind === 'closed')?.event).to.deep.include({ code: 1006 });
  });

  it('keeps a session whose peer answers pings', async () => {
    server = new TestServer(
      () => true,
      () => undefined,
    );
    const events = start(await server.listen(), { periodMs: 10, pingIntervalMs: 30, pongTimeoutMs: 100 });
    await sleep(400);
    expect(events.map((e) => e.event.kind)).to.deep.equal(['open']);
  });

  it('pauses the socket while the valve is closed, and resumes when it reopens', async () => {
    let sent = 0;
    let sender: ReturnType<typeof setInterval> | undefined;
    server = new TestServer(
      () => true,
      (ws) => {
        const chunk = 'x'.repeat(64 * 1024);
        sender = setInterval(() => {
          while (ws.bufferedAmount < 8 * 1024 * 1024 && sent < 2000) {
            ws.send(chunk);
            sent++;
          }
        }, 5);
        ws.on('close', () => clearInterval(sender));
      },
    );
    const valve = new Valve({ maxBytes: 1, maxItems: 1_000_000 });
    const events = start(await server.listen(), { valve });
    await waitFor(() => events.some((e) => e.event.kind === 'frame'), 'first frame');
    valve.acquire(1, 1);
    await sleep(300);
    const atPause = events.length;
    await sleep(300);
    // Only frames already read from the socket may still trickle in; the server is stuck on TCP.
    expect(events.length - atPause).to.be.lessThan(20);
    expect(sent).to.be.lessThan(2000);
    valve.release(1, 1);
    await waitFor(() => events.filter((e) => e.event.kind === 'frame').length === 2000, 'all frames after resuming', 8000);
    clearInterval(sender);
  });

  it('on stop$, closes the session with 1000, still emits what the server sent before its close frame, then completes', async () => {
    server = new TestServer(
      () => true,
      (ws) => {
        for (let i = 0; i < 300; i++) ws.send(`{"n":${i}}`);
      },
    );
    const url = await server.listen();
    const stop$ = new Subject<void>();
    const frames: string[] = [];
    let completed = false;
    subscription = podSource({ urlBase: url, clusterId: 'c', type: 'message', apiToken: 't', periodMs: 10, sinceTime: () => undefined, stop$ }).subscribe({
      next: (e) => {
        if (e.kind !== 'frame') return;
        frames.push(e.data.toString());
        if (frames.length === 1) stop$.next();
      },
      complete: () => (completed = true),
    });
    await waitFor(() => completed, 'completion');
    expect(frames).to.have.length(300);
    expect(server.requests).to.have.length(1);
  });

  it('on stop$ between sessions, completes without connecting again', async () => {
    server = new TestServer(
      () => true,
      (ws) => ws.close(1000),
    );
    const url = await server.listen();
    const stop$ = new Subject<void>();
    let completed = false;
    subscription = podSource({ urlBase: url, clusterId: 'c', type: 'message', apiToken: 't', periodMs: 60_000, sinceTime: () => undefined, stop$ }).subscribe({
      next: (e) => {
        if (e.kind === 'closed') stop$.next();
      },
      complete: () => (completed = true),
    });
    await waitFor(() => completed, 'completion');
    expect(server.requests).to.have.length(1);
  });

  it('takes frames of 64 MiB and more, intact', async function () {
    this.timeout(30_000);
    const big = Buffer.alloc(65 * 1024 * 1024, 0x61);
    big.write('{"guid":"big","x":"', 0);
    big.write('"}', big.length - 2);
    server = new TestServer(
      () => true,
      (ws) => ws.send(big, { binary: false }),
    );
    const events = start(await server.listen());
    await waitFor(() => events.some((e) => e.event.kind === 'frame'), 'the big frame', 25_000);
    const frame = events.find((e) => e.event.kind === 'frame')!.event as { data: Buffer };
    expect(frame.data.length).to.equal(big.length);
    expect(frame.data.equals(big)).to.equal(true);
  });

  it('closes the socket with 1000 on unsubscribe', async () => {
    const closes: number[] = [];
    server = new TestServer(
      () => true,
      (ws) => ws.on('close', (code) => closes.push(code)),
    );
    const events = start(await server.listen());
    await waitFor(() => events.length === 1, 'open');
    subscription!.unsubscribe();
    await waitFor(() => closes.length === 1, 'the close');
    expect(closes).to.deep.equal([1000]);
  });

  describe('a dripped handshake', () => {
    let drip: DripServer | undefined;
    afterEach(async () => {
      subscription?.unsubscribe();
      await drip?.close();
      drip = undefined;
    });

    it('headers dripped a byte a second: each attempt ends at the wall-clock deadline (POD_HANDSHAKE_TIMEOUT), and the source retries', async () => {
      drip = new DripServer('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Slow: ' + 'a'.repeat(500) + '\r\n\r\n', 1000);
      start(await drip.listen(), { handshakeTimeoutMs: 1500, periodMs: 100, backoffMaxMs: 200 });
      await waitFor(() => drip!.connections >= 3, 'three attempts', 8000);
      const timeouts = logs.filter((l) => l.includes('POD_HANDSHAKE_TIMEOUT'));
      expect(timeouts.length).to.be.at.least(2);
      expect(timeouts[0]).to.match(/No complete answer to the handshake within 1\.5 s/);
    });

    it('a 409 whose body is dripped: the refusal is reported within the deadline with the body read so far, and retried', async () => {
      drip = new DripServer('HTTP/1.1 409 Conflict\r\ncontent-type: text/plain\r\ncontent-length: 100000\r\n\r\n' + 'x'.repeat(100_000), 1000, 80);
      start(await drip.listen(), { handshakeTimeoutMs: 1500, periodMs: 100, backoffMaxMs: 200 });
      await waitFor(() => drip!.connections >= 3, 'three attempts', 8000);
      expect(logs.filter((l) => l.includes('POD_HANDSHAKE_409: Handshake status 409 Conflict')).length).to.be.at.least(2);
    });

    it('a 409 with an endless body: at most 2 KiB of it is read and kept', async () => {
      drip = new DripServer('HTTP/1.1 409 Conflict\r\ncontent-type: text/plain\r\ncontent-length: 10000000\r\n\r\n' + 'y'.repeat(1_000_000), 1000, 1_000_000);
      start(await drip.listen(), { handshakeTimeoutMs: 5000, periodMs: 100, backoffMaxMs: 200 });
      await waitFor(() => drip!.connections >= 2, 'two attempts', 8000);
      const refused = logs.find((l) => l.includes('POD_HANDSHAKE_409'))!;
      expect(refused).to.include('y'.repeat(2048));
      expect(refused).not.to.include('y'.repeat(2049));
    });
  });
});
