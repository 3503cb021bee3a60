import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PodEventType } from '../lib/simulators/podEvents';
import { BenchFrames } from './benchFrames';

/**
 * The benchmark's PoD stand-in (a child process): one websocket session per service type (the
 * `type` of the request: `message`, `maillog`, `audit`) streams `total` frames of that type (1%
 * of them sent twice, local disorder in pairs), either as fast as the socket takes them (`rate`
 * 0, blast) or at `rate` frames per second. Reports its port, when the first session started and
 * when every session is done on IPC.
 */
interface Options {
  readonly total: number;
  readonly rate: number;
  readonly duplicates: number;
  /** The service types that will connect (each once). Default `message`. */
  readonly types?: readonly PodEventType[];
}

function run(options: Options): void {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const types = options.types ?? ['message'];
  const streaming = new Set<string>();
  let sent = 0;
  let done = 0;
  let started: number | undefined;
  http.on('upgrade', (req, socket, head) => {
    const type = (new URL(req.url ?? '/', 'http://x').searchParams.get('type') ?? 'message') as PodEventType;
    if (streaming.has(type) || !types.includes(type)) {
      // Keep to one session per type: a reconnecting client gets what was left (not exercised here).
      socket.end('HTTP/1.1 409 Conflict\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    streaming.add(type);
    wss.handleUpgrade(req, socket, head, (ws) => stream(ws, new BenchFrames(type)));
  });
  const stream = (ws: WebSocket, frames: BenchFrames): void => {
    if (started === undefined) {
      started = Date.now();
      process.send?.({ started });
    }
    const sessionStart = Date.now();
    const dupEvery = options.duplicates > 0 ? Math.round(1 / options.duplicates) : 0;
    let index = 0;
    // Neighbours swap places: local disorder, as the API shows.
    const order = (i: number): number => Math.min(i % 2 === 0 ? i + 1 : i - 1, options.total - 1);
    const pump = (): void => {
      while (ws.bufferedAmount < 4 * 1024 * 1024 && index < options.total) {
        const due = options.rate > 0 ? sessionStart + (index * 1000) / options.rate : 0;
        if (due > Date.now()) {
          setTimeout(pump, Math.max(1, due - Date.now()));
          return;
        }
        const frame = frames.frame(order(index), options.rate > 0 ? due : Date.now());
        ws.send(frame);
        sent++;
        index++;
        if (dupEvery > 0 && index % dupEvery === 0) {
          ws.send(frame);
          sent++;
        }
      }
      if (index >= options.total) {
        if (++done === types.length) process.send?.({ done: true, sent });
        return;
      }
      setImmediate(pump);
    };
    pump();
  };
  http.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (http.address() as { port: number }).port });
  });
  process.on('message', (m: { stop?: boolean }) => {
    if (m.stop === true) process.exit(0);
  });
}

run(JSON.parse(process.argv[2] ?? '{}') as Options);
