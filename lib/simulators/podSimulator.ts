import * as http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type Server as WsServer } from 'ws';
import { parseEventTime } from '../time/parseEventTime';
import { hash32, SeededRandom } from './seededRandom';
import { podEvent, podEventTime, podIndexAtOrAfter, type PodEventType, type PodTimeline } from './podEvents';
import { boundPort, serverUrl, startListening } from './listenOn';

/** Options of {@link PodSimulator.start}. Only `token` and `clusterId` are required. */
export interface PodSimulatorOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0: any free port (see {@link PodSimulator.port}). */
  readonly port?: number;
  /** The API token clients must send as `Authorization: Bearer <token>`. */
  readonly token: string;
  /** The `cid` clients must send. */
  readonly clusterId: string;
  /** Services served; default all three. */
  readonly types?: readonly PodEventType[];
  /** When events happen. Default `{ startTime: now() at start, intervalMs: 1000 / rate }`. */
  readonly timeline?: PodTimeline;
  /** Events per second per type, for the default timeline only. Default 50. */
  readonly rate?: number;
  /** Events per type (indexes `0 … total-1`). Default `Infinity`. */
  readonly total?: number;
  /**
   * `realtime` (default): event `i` becomes available at wall time `podEventTime(timeline, i)`, a live
   * stream checked every ~20 ms. `blast`: every event up to `total` is available at once and sent as
   * fast as the socket takes it (a backlog, a benchmark). Both modes start a first session an hour
   * back (`podIndexAtOrAfter(timeline, now - 1 h)`): with a timeline that starts more than an hour
   * before `now`, a blast session starts past index 0.
   */
  readonly mode?: 'realtime' | 'blast';
  /** Share of events sent twice in a row (chosen by a hash of seed, type and index). Default 0.01; ×5 in archive mode. */
  readonly duplicateRate?: number;
  /** Send order inside each consecutive block of this many indexes is a deterministic permutation. Default 4; 1 = in order. */
  readonly disorderWindow?: number;
  /** After this many frames in a session, end the TCP connection without a close frame (client: 1006). Default 0 = never. */
  readonly dropEveryFrames?: number;
  /** After a drop, the type's cursor moves back this many indexes (re-sends, never losses). Default 3. */
  readonly rewindOnDrop?: number;
  /** Index `i` with `(i + 1) % largeEvery === 0` is padded to `largeBytes`. Default 0 = never. */
  readonly largeEvery?: number;
  /** Default 2 MiB. */
  readonly largeBytes?: number;
  /**
   * Before each index `i > 0` with `i % malformedEvery === 0`, one malformed frame, cycling through:
   * not JSON, a JSON array, an object without the key field, an object whose key is `bad-<i>` and whose
   * `ts` is `"not a time"`. Default 0 = never.
   */
  readonly malformedEvery?: number;
  /** Index `i` with `(i + 1) % binaryEvery === 0` is sent as a binary frame. Default 0 = never. */
  readonly binaryEvery?: number;
  /** Default true; false never answers pings (a dead peer). */
  readonly autoPong?: boolean;
  /** A session stops sending while `ws.bufferedAmount` would exceed this. Default 4 MiB. */
  readonly maxBufferedBytes?: number;
  /** The simulator's clock (UTC epoch ms): availability, resume window, `sinceTime` checks. Default `Date.now`. */
  readonly now?: () => number;
}

/** Counters of a {@link PodSimulator}, over all sessions and types. */
export interface PodSimulatorStats {
  /** Sessions accepted (handshake 101). */
  readonly sessions: number;
  /** Sessions open now. */
  readonly activeSessions: number;
  /** Handshake and plain-request statuses, e.g. `{ 101: 3, 409: 1 }`. */
  readonly handshakes: Readonly<Record<number, number>>;
  /** Every websocket frame sent: events, duplicates and malformed frames. */
  readonly framesSent: number;
  /** Indexes sent for the first time (per type). */
  readonly eventsSent: number;
  /** Event frames whose index was already sent: duplicates, re-sends after a rewind or a replay. */
  readonly duplicatesSent: number;
  readonly malformedSent: number;
  /** Connections dropped without a close frame (`dropEveryFrames`, `disconnectAll({ abrupt: true })`). */
  readonly drops: number;
  /** Payload bytes of all frames sent. */
  readonly bytesSent: number;
  /** Sum of the open sessions' `ws.bufferedAmount` now. */
  readonly bufferedBytes: number;
}

const STREAM_PATH = '/v1/stream';
const HOUR_MS = 3_600_000;
const MAX_SINCE_MS = 30 * 24 * HOUR_MS;
const TICK_MS = 20;
/** Frames and bytes one session sends before yielding to the event loop. */
const BURST_FRAMES = 256;
const BURST_BYTES = 4 * 1024 * 1024;
const ALL_TYPES: readonly PodEventType[] = ['message', 'maillog', 'audit'];
const CONFLICT_BODY = 'Exceeded maximum number of sessions per token\r\n';

/** Indexes sent so far for one type, as sorted disjoint half-open ranges (a few, in practice). */
class IndexRanges {
  private readonly ranges: Array<[number, number]> = [];

  /** Adds `index`; returns false when it was already there. */
  add(index: number): boolean {
    const r = this.ranges;
    let lo = 0;
    let hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r[mid]![1] < index) lo = mid + 1;
      else hi = mid;
    }
    // r[lo] is the first range whose end >= index.
    const at = r[lo];
    if (at !== undefined && at[0] <= index && index < at[1]) return false;
    if (at !== undefined && at[1] === index) {
      at[1]++;
      const next = r[lo + 1];
      if (next !== undefined && next[0] === at[1]) {
        at[1] = next[1];
        r.splice(lo + 1, 1);
      }
      return true;
    }
    if (at !== undefined && at[0] === index + 1) {
      at[0] = index;
      return true;
    }
    r.splice(lo, 0, [index, index + 1]);
    return true;
  }
}

/** Where a (token, type) stream stands between sessions. */
interface Cursor {
  /** The lowest index the next resumed session sends. */
  readonly next: number;
  /** Indexes above `next` already sent (fewer than `disorderWindow`); a resumed session skips them. */
  readonly sentAhead: ReadonlySet<number>;
  readonly endedAt: number;
}

type FrameKind = 'event' | 'duplicate' | 'malformed';

interface Frame {
  readonly kind: FrameKind;
  readonly index: number;
}

interface Prepared extends Frame {
  readonly data: string | Buffer;
  readonly bytes: number;
  readonly binary: boolean;
}

interface Session {
  readonly key: string;
  readonly type: PodEventType;
  readonly ws: SessionSocket;
  readonly socket: Duplex;
  readonly from: number;
  readonly duplicateRate: number;
  readonly skip: Set<number>;
  blockStart: number;
  blockEnd: number;
  order: number[];
  pos: number;
  /** Indexes of the current block sent (or skipped as sent before). */
  readonly done: Set<number>;
  queue: Frame[];
  pending: Prepared | undefined;
  lastEvent: Prepared | undefined;
  frames: number;
  waitingDrain: boolean;
  immediate: NodeJS.Immediate | undefined;
  finished: boolean;
}

/** The server side of a session: tells the simulator as soon as the close handshake begins. */
class SessionSocket extends WebSocket {
  onClosing: (() => void) | undefined;

  override close(code?: number, data?: string | Buffer): void {
    this.onClosing?.();
    super.close(code, data);
  }
}

class HandshakeError {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {}
}

/** A uniform number in [0, 1) from a hash of the parts. */
function unit(...parts: Array<string | number>): number {
  return hash32(parts.join('|')) / 2 ** 32;
}

/** A deterministic permutation of `[start, end)`. */
function permutation(start: number, end: number, salt: string): number[] {
  return new SeededRandom(`${salt}|${start}`).permutation(end - start).map((i) => i + start);
}

function positive(name: string, value: number, { integer = false, zero = false, infinite = false } = {}): number {
  const finite = Number.isFinite(value) || (infinite && value === Infinity);
  const ok = finite && (zero ? value >= 0 : value > 0) && (!integer || Number.isInteger(value) || value === Infinity);
  if (!ok) throw new RangeError(`PodSimulator option ${name} must be a ${zero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got ${value}`);
  return value;
}

/**
 * A stand-in for the Proofpoint On Demand Log API: a websocket server on loopback that streams
 * deterministic synthetic events ({@link podEvent}) for `message`, `maillog` and `audit`, with the
 * API's habits: one session per token and type (HTTP 409), resume within the hour, `sinceTime`
 * replays from the hour (archive mode, more duplicates), duplicates, local disorder, 1006 drops,
 * frames over 1 MiB, binary frames, malformed frames and, optionally, no pongs. Used by end-to-end
 * tests, the demo and the benchmark.
 *
 * Handshake (`GET ${url}/v1/stream?cid=…&type=…[&sinceTime=ISO]`, `Authorization: Bearer <token>`):
 * another path 404; not GET 405; bad token or `cid` 401 (`Unauthorized\r\n`); unknown type, or a
 * `sinceTime` that does not parse, is in the future or is more than 30 days back 400; a second open
 * session for the token and type 409 (`text/plain;charset=iso-8859-1`,
 * `Exceeded maximum number of sessions per token\r\n`). A plain request that passes these gets 426.
 *
 * Streams: each type has a cursor (the next index, kept with the end time of the last session, with
 * or without `sinceTime`; a session ends when its close handshake begins, at EOF or at a drop). A
 * session without `sinceTime` less than an hour after the previous one ended resumes at the cursor
 * (skipping the few indexes of the interrupted block already sent); otherwise it starts at
 * `podIndexAtOrAfter(timeline, now - 1 h)`. With `sinceTime` it starts at
 * `podIndexAtOrAfter(timeline, sinceTime rounded down to the UTC hour)`. Indexes go out in blocks of
 * `disorderWindow`, each block shuffled, a block once its last event is available (realtime mode
 * holds a block back until then). After a drop the cursor moves back `rewindOnDrop` indexes (never
 * below the session's first index), so the next session re-sends at most that many events and
 * loses none: a drop ends the TCP socket after every frame already sent, so nothing sent is lost.
 *
 * Expected keys: a client that ends up having received indexes `first … last` of a type (for a
 * first session, `first = podIndexAtOrAfter(timeline, now - 1 h)`, 0 for the default timeline) holds
 * exactly the keys `podEventKey(type, i, timeline.seed)` for `first <= i <= last`, plus malformed
 * frames (never a real key) and duplicates of those keys.
 *
 * Sending never lets `ws.bufferedAmount` grow past `maxBufferedBytes` (or one frame, if larger): a
 * client that stops reading stops the simulator; sending continues from the send callbacks.
 *
 * @example
 * const pod = await PodSimulator.start({ token: 't', clusterId: 'acme_hosted', rate: 100, total: 500 });
 * const ws = new WebSocket(`${pod.url}/v1/stream?cid=acme_hosted&type=message`, { headers: { Authorization: 'Bearer t' } });
 * ws.on('message', (data) => JSON.parse(String(data)));
 * // ...
 * await pod.stop(); // terminates the sessions, closes the server, clears the timers
 */
export class PodSimulator {
  private readonly wss: WsServer<typeof SessionSocket>;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Map<string, Session>();
  private readonly upgrading = new Set<string>();
  private readonly cursors = new Map<string, Cursor>();
  private readonly sent = new Map<string, IndexRanges>();
  private readonly handshakeCounts: Record<number, number> = {};
  private readonly counters = { sessions: 0, framesSent: 0, eventsSent: 0, duplicatesSent: 0, malformedSent: 0, drops: 0, bytesSent: 0 };
  private tickTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  private readonly timeline: PodTimeline;
  private readonly seed: string;
  private readonly types: ReadonlySet<PodEventType>;
  private readonly total: number;
  private readonly realtime: boolean;
  private readonly duplicateRate: number;
  private readonly disorderWindow: number;
  private readonly dropEveryFrames: number;
  private readonly rewindOnDrop: number;
  private readonly largeEvery: number;
  private readonly largeBytes: number;
  private readonly malformedEvery: number;
  private readonly binaryEvery: number;
  private readonly maxBufferedBytes: number;
  private readonly now: () => number;

  private constructor(
    private readonly server: http.Server,
    private readonly options: PodSimulatorOptions,
  ) {
    this.now = options.now ?? Date.now;
    const rate = positive('rate', options.rate ?? 50);
    this.timeline = options.timeline ?? { startTime: this.now(), intervalMs: 1000 / rate };
    podEventTime(this.timeline, 0); // validates the timeline
    this.seed = this.timeline.seed ?? '';
    this.types = new Set(options.types ?? ALL_TYPES);
    for (const type of this.types) if (!ALL_TYPES.includes(type)) throw new RangeError(`PodSimulator option types: unknown type ${JSON.stringify(type)}`);
    this.total = positive('total', options.total ?? Infinity, { integer: true, zero: true, infinite: true });
    this.realtime = (options.mode ?? 'realtime') === 'realtime';
    this.duplicateRate = positive('duplicateRate', options.duplicateRate ?? 0.01, { zero: true });
    this.disorderWindow = positive('disorderWindow', options.disorderWindow ?? 4, { integer: true });
    this.dropEveryFrames = positive('dropEveryFrames', options.dropEveryFrames ?? 0, { integer: true, zero: true });
    this.rewindOnDrop = positive('rewindOnDrop', options.rewindOnDrop ?? 3, { integer: true, zero: true });
    if (this.dropEveryFrames > 0 && this.dropEveryFrames <= this.rewindOnDrop) {
      throw new RangeError(
        `PodSimulator option dropEveryFrames (${this.dropEveryFrames}) must exceed rewindOnDrop (${this.rewindOnDrop}), or no session makes progress`,
      );
    }
    this.largeEvery = positive('largeEvery', options.largeEvery ?? 0, { integer: true, zero: true });
    this.largeBytes = positive('largeBytes', options.largeBytes ?? 2 * 1024 * 1024, { integer: true });
    this.malformedEvery = positive('malformedEvery', options.malformedEvery ?? 0, { integer: true, zero: true });
    this.binaryEvery = positive('binaryEvery', options.binaryEvery ?? 0, { integer: true, zero: true });
    this.maxBufferedBytes = positive('maxBufferedBytes', options.maxBufferedBytes ?? 4 * 1024 * 1024, { integer: true });

    this.wss = new WebSocketServer({ noServer: true, autoPong: options.autoPong ?? true, clientTracking: false, WebSocket: SessionSocket });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.request(req, res));
    server.on('clientError', (_err: Error, socket: Duplex) => socket.destroy());
    // A bad websocket handshake (key, version…): answer it here so that it is counted.
    this.wss.on('wsClientError', (err: Error, socket: Duplex) => this.reject(socket, 400, `Bad Request: ${err.message}\r\n`));
  }

  /** Starts listening; resolves once the port is bound. Throws a `RangeError` for invalid options. */
  static start(options: PodSimulatorOptions): Promise<PodSimulator> {
    const server = http.createServer();
    return startListening(server, () => new PodSimulator(server, options), options.port, options.host);
  }

  /** The bound port. */
  get port(): number {
    return boundPort(this.server);
  }

  /** `ws://host:port`, without a trailing slash; clients connect to `${url}/v1/stream?…`. */
  get url(): string {
    return serverUrl('ws', this.options.host ?? '127.0.0.1', this.port);
  }

  /** A snapshot of the counters. */
  get stats(): PodSimulatorStats {
    let bufferedBytes = 0;
    for (const session of this.sessions.values()) bufferedBytes += session.ws.bufferedAmount;
    return { ...this.counters, activeSessions: this.sessions.size, handshakes: { ...this.handshakeCounts }, bufferedBytes };
  }

  /**
   * Ends every open session but keeps listening. `abrupt`: ends the TCP connections without a close
   * frame (clients see 1006; counted as drops, cursors rewound); otherwise a close frame 1001.
   */
  disconnectAll(options: { abrupt?: boolean } = {}): void {
    for (const session of [...this.sessions.values()]) {
      if (options.abrupt === true) this.drop(session);
      else {
        this.finish(session, false);
        session.ws.close(1001, 'server going away');
      }
    }
  }

  /** Terminates every session, closes the server and clears every timer. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const session of [...this.sessions.values()]) {
      this.finish(session, false);
      session.ws.terminate();
    }
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.wss.close();
    this.updateTick();
    await closed;
  }

  // -------------------------------------------------------------------------------------------
  // Handshakes

  private record(status: number): void {
    this.handshakeCounts[status] = (this.handshakeCounts[status] ?? 0) + 1;
  }

  /** Validates a request; returns the session parameters or throws a {@link HandshakeError}. */
  private validate(req: http.IncomingMessage): { type: PodEventType; since: number | undefined } {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      throw new HandshakeError(400, 'Bad Request: unreadable URL\r\n');
    }
    if (url.pathname !== STREAM_PATH) throw new HandshakeError(404, `Not Found: ${url.pathname}\r\n`);
    if (req.method !== 'GET') throw new HandshakeError(405, `Method Not Allowed: ${req.method ?? ''}\r\n`);
    const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (auth === null || auth[1]!.trim() !== this.options.token || url.searchParams.get('cid') !== this.options.clusterId) {
      throw new HandshakeError(401, 'Unauthorized\r\n');
    }
    const type = url.searchParams.get('type');
    if (type === null || !this.types.has(type as PodEventType)) {
      throw new HandshakeError(400, `Invalid type: ${JSON.stringify(type)}, expected one of ${[...this.types].join(', ')}\r\n`);
    }
    const sinceText = url.searchParams.get('sinceTime');
    let since: number | undefined;
    if (sinceText !== null) {
      const parsed = /^\d{4}-\d{2}-\d{2}T/i.test(sinceText) ? parseEventTime(sinceText) : { reason: 'not ISO-8601' };
      if (typeof parsed !== 'number') throw new HandshakeError(400, `Invalid sinceTime: ${JSON.stringify(sinceText)} is not an ISO-8601 time\r\n`);
      const now = this.now();
      if (parsed > now) throw new HandshakeError(400, `Invalid sinceTime: ${sinceText} is in the future\r\n`);
      if (now - parsed > MAX_SINCE_MS) throw new HandshakeError(400, `Invalid sinceTime: ${sinceText} is more than 30 days back\r\n`);
      since = parsed;
    }
    return { type: type as PodEventType, since };
  }

  private request(req: http.IncomingMessage, res: http.ServerResponse): void {
    let status = 426;
    let body = 'Upgrade Required: use a websocket\r\n';
    try {
      this.validate(req);
    } catch (err) {
      if (!(err instanceof HandshakeError)) throw err;
      ({ status, body } = err);
    }
    this.record(status);
    res.writeHead(status, {
      'content-type': 'text/plain;charset=iso-8859-1',
      'content-length': Buffer.byteLength(body, 'latin1'),
      connection: 'close',
      ...(status === 426 ? { upgrade: 'websocket' } : {}),
    });
    res.end(body, 'latin1');
  }

  private reject(socket: Duplex, status: number, body: string): void {
    this.record(status);
    const head = [
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}`,
      `Date: ${new Date().toUTCString()}`,
      'Content-Type: text/plain;charset=iso-8859-1',
      `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
      'Connection: close',
    ];
    socket.on('error', () => socket.destroy());
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, 'latin1');
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    let params: { type: PodEventType; since: number | undefined };
    try {
      params = this.validate(req);
      if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') throw new HandshakeError(400, 'Bad Request: expected a websocket upgrade\r\n');
    } catch (err) {
      if (!(err instanceof HandshakeError)) throw err;
      this.reject(socket, err.status, err.body);
      return;
    }
    const key = `${this.options.token}\u0000${params.type}`;
    const open = this.sessions.get(key);
    if (this.upgrading.has(key)) {
      this.reject(socket, 409, CONFLICT_BODY);
      return;
    }
    if (open !== undefined) {
      // A session whose close handshake has begun is over; only a live one conflicts.
      if (open.ws.readyState === WebSocket.OPEN) {
        this.reject(socket, 409, CONFLICT_BODY);
        return;
      }
      this.finish(open, false);
    }
    // Hold the slot during the upgrade so a racing second handshake gets 409 too.
    this.upgrading.add(key);
    let completed = false;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      completed = true;
      this.upgrading.delete(key);
      if (this.stopped) {
        ws.terminate();
        return;
      }
      this.record(101);
      this.open(key, params.type, params.since, ws, socket);
    });
    // handleUpgrade refuses bad websocket headers (400) without calling back: free the slot then.
    if (!completed) socket.once('close', () => this.upgrading.delete(key));
  }

  // -------------------------------------------------------------------------------------------
  // Sessions

  private open(key: string, type: PodEventType, since: number | undefined, ws: SessionSocket, socket: Duplex): void {
    const now = this.now();
    const cursor = this.cursors.get(key);
    let from: number;
    let skip = new Set<number>();
    if (since !== undefined) {
      from = podIndexAtOrAfter(this.timeline, Math.floor(since / HOUR_MS) * HOUR_MS);
    } else if (cursor !== undefined && now - cursor.endedAt <= HOUR_MS) {
      from = cursor.next;
      skip = new Set(cursor.sentAhead);
    } else {
      from = podIndexAtOrAfter(this.timeline, now - HOUR_MS);
    }
    const session: Session = {
      key,
      type,
      ws,
      socket,
      from,
      duplicateRate: since === undefined ? this.duplicateRate : this.duplicateRate * 5,
      skip,
      blockStart: from,
      blockEnd: from,
      order: [],
      pos: 0,
      done: new Set(),
      queue: [],
      pending: undefined,
      lastEvent: undefined,
      frames: 0,
      waitingDrain: false,
      immediate: undefined,
      finished: false,
    };
    this.counters.sessions++;
    this.sessions.set(key, session);
    ws.on('error', () => undefined);
    // The session ends when the close handshake begins (a client's close frame, or ours), at EOF, or at close.
    ws.onClosing = () => this.finish(session, false);
    socket.once('end', () => this.finish(session, false));
    ws.on('close', () => this.finish(session, false));
    this.updateTick();
    this.pump(session);
  }

  /** Ends a session once: stops its sending and saves its cursor (moved back after a drop). */
  private finish(session: Session, dropped: boolean): void {
    if (session.finished) return;
    session.finished = true;
    if (session.immediate !== undefined) clearImmediate(session.immediate);
    session.immediate = undefined;
    if (this.sessions.get(session.key) === session) this.sessions.delete(session.key);
    let watermark = session.blockStart;
    while (watermark < session.blockEnd && session.done.has(watermark)) watermark++;
    const sentAhead = new Set<number>();
    for (const index of session.done) if (index > watermark) sentAhead.add(index);
    for (const index of session.skip) if (index > watermark) sentAhead.add(index);
    const next = dropped ? Math.max(session.from, watermark - this.rewindOnDrop) : watermark;
    this.cursors.set(session.key, { next, sentAhead, endedAt: this.now() });
    this.updateTick();
  }

  /** Ends the TCP connection after the frames already sent, without a close frame. */
  private drop(session: Session): void {
    if (session.finished) return;
    this.counters.drops++;
    this.finish(session, true);
    session.socket.end();
  }

  private updateTick(): void {
    const wanted = this.realtime && !this.stopped && this.sessions.size > 0;
    if (wanted && this.tickTimer === undefined) {
      this.tickTimer = setInterval(() => {
        for (const session of [...this.sessions.values()]) this.pump(session);
      }, TICK_MS);
    } else if (!wanted && this.tickTimer !== undefined) {
      clearInterval(this.tickTimer);
      this.tickTimer = undefined;
    }
  }

  private available(index: number): boolean {
    return !this.realtime || podEventTime(this.timeline, index) <= this.now();
  }

  /** The next index in send order, or undefined while none is available. */
  private nextIndex(session: Session): number | undefined {
    while (session.pos >= session.order.length) {
      const start = session.blockEnd;
      if (start >= this.total) return undefined;
      const end = Math.min(start + this.disorderWindow, this.total);
      if (!this.available(end - 1)) return undefined;
      session.blockStart = start;
      session.blockEnd = end;
      session.done.clear();
      session.order = [];
      for (const index of permutation(start, end, `${this.seed}|${session.type}`)) {
        if (session.skip.delete(index)) session.done.add(index);
        else session.order.push(index);
      }
      session.pos = 0;
    }
    return session.order[session.pos++];
  }

  private nextFrame(session: Session): Frame | undefined {
    if (session.queue.length === 0) {
      const index = this.nextIndex(session);
      if (index === undefined) return undefined;
      if (this.malformedEvery > 0 && index > 0 && index % this.malformedEvery === 0) session.queue.push({ kind: 'malformed', index });
      session.queue.push({ kind: 'event', index });
      if (session.duplicateRate > 0 && unit('dup', this.seed, session.type, index) < session.duplicateRate) session.queue.push({ kind: 'duplicate', index });
    }
    return session.queue.shift();
  }

  private prepare(session: Session, frame: Frame): Prepared {
    if (frame.kind === 'duplicate' && session.lastEvent !== undefined && session.lastEvent.index === frame.index) {
      return { ...session.lastEvent, kind: 'duplicate' };
    }
    let text: string;
    let binary = false;
    if (frame.kind === 'malformed') {
      text = this.malformed(session.type, frame.index);
    } else {
      const large = this.largeEvery > 0 && (frame.index + 1) % this.largeEvery === 0;
      text = podEvent(session.type, frame.index, this.timeline, { clusterId: this.options.clusterId, ...(large ? { largeBytes: this.largeBytes } : {}) });
      binary = this.binaryEvery > 0 && (frame.index + 1) % this.binaryEvery === 0;
    }
    const data = binary ? Buffer.from(text) : text;
    const prepared: Prepared = { ...frame, data, binary, bytes: Buffer.byteLength(text) };
    if (frame.kind !== 'malformed') session.lastEvent = prepared;
    return prepared;
  }

  private malformed(type: PodEventType, index: number): string {
    const keyField = type === 'maillog' ? 'id' : 'guid';
    const ts = JSON.stringify(podEvent(type, index, this.timeline).match(/"ts":"([^"]*)"/)?.[1] ?? '');
    switch ((index / this.malformedEvery - 1) % 4) {
      case 0:
        return `{"${keyField === 'id' ? 'data' : 'connection'}":{"host":"truncated-${index}.example.com","ts":${ts}`;
      case 1:
        return JSON.stringify([{ malformed: index }, 'not an object']);
      case 2:
        return `{"ts":${ts},"note":"no ${keyField} field","n":${index}}`;
      default:
        return JSON.stringify({ [keyField]: `bad-${index}`, ts: 'not a time' });
    }
  }

  /** Sends what is available, within the buffer bound; continues from send callbacks or setImmediate. */
  private pump(session: Session): void {
    if (session.finished || session.immediate !== undefined || session.ws.readyState !== WebSocket.OPEN) return;
    let frames = 0;
    let bytes = 0;
    for (;;) {
      if (frames >= BURST_FRAMES || bytes >= BURST_BYTES) {
        session.immediate = setImmediate(() => {
          session.immediate = undefined;
          this.pump(session);
        });
        return;
      }
      if (session.pending === undefined) {
        const frame = this.nextFrame(session);
        if (frame === undefined) return;
        session.pending = this.prepare(session, frame);
      }
      const prepared = session.pending;
      const buffered = session.ws.bufferedAmount;
      if (buffered > 0 && buffered + prepared.bytes > this.maxBufferedBytes) {
        session.waitingDrain = true;
        return;
      }
      session.pending = undefined;
      this.send(session, prepared);
      frames++;
      bytes += prepared.bytes;
      if (this.dropEveryFrames > 0 && session.frames >= this.dropEveryFrames) {
        this.drop(session);
        return;
      }
    }
  }

  private send(session: Session, frame: Prepared): void {
    session.frames++;
    const c = this.counters;
    c.framesSent++;
    c.bytesSent += frame.bytes;
    if (frame.kind === 'malformed') c.malformedSent++;
    else {
      if (frame.kind === 'event') session.done.add(frame.index);
      let ranges = this.sent.get(session.key);
      if (ranges === undefined) this.sent.set(session.key, (ranges = new IndexRanges()));
      if (ranges.add(frame.index)) c.eventsSent++;
      else c.duplicatesSent++;
    }
    session.ws.send(frame.data, { binary: frame.binary }, (err) => {
      if (err !== undefined && err !== null) return;
      if (session.waitingDrain && session.ws.bufferedAmount < this.maxBufferedBytes) {
        session.waitingDrain = false;
        this.pump(session);
      }
    });
  }
}
