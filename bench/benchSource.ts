import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PodEventType } from '../lib/simulators/podEvents';
import { encodeBlast, sessionFrames } from './benchBlast';
import { BenchFrames, FRAME_SHAPES, type FrameShapeName } from './benchFrames';

/**
 * The benchmark's PoD stand-in (a child process): one websocket session per frame shape (the
 * `type` of the request picks it: `message`, `maillog`, `audit`) streams `total` frames of that
 * shape (1% of them sent twice, local disorder in pairs), either as fast as the socket takes them
 * (`rate` 0, blast) or at `rate` frames per second. Reports its port, when the first session
 * started and when every session is done on IPC.
 *
 * The source must cost the machine much less than what it feeds, or it is what the bench
 * measures: a blast's frames are made and encoded as websocket frames before the port is
 * reported (their `ts` is the time they were made), and a session writes them in 256 KiB chunks
 * straight to its socket. At a rate, frames are made when due (their `ts` is when they are sent,
 * for the latency) and each turn's leave in one write.
 */
interface Options {
  readonly total: number;
  readonly rate: number;
  readonly duplicates: number;
  /** The frame shapes of the sessions, one session per shape (each of a different type). Default `message-3k`. */
  readonly shapes?: readonly FrameShapeName[];
}

function run(options: Options): void {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const shapes = options.shapes ?? ['message-3k'];
  const byType = new Map<PodEventType, FrameShapeName>(shapes.map((shape) => [FRAME_SHAPES[shape].type, shape]));
  const blasts = new Map<FrameShapeName, Buffer[]>(options.rate > 0 ? [] : shapes.map((shape) => [shape, encodeBlast(shape, options)]));
  const streaming = new Set<string>();
  let done = 0;
  let started: number | undefined;
  const finished = (): void => {
    if (++done === shapes.length) process.send?.({ done: true });
  };
  http.on('upgrade', (req, socket, head) => {
    const type = (new URL(req.url ?? '/', 'http://x').searchParams.get('type') ?? 'message') as PodEventType;
    const shape = byType.get(type);
    if (streaming.has(type) || shape === undefined) {
      // Keep to one session per type: a reconnecting client gets what was left (not exercised here).
      socket.end('HTTP/1.1 409 Conflict\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    streaming.add(type);
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (started === undefined) {
        started = Date.now();
        process.send?.({ started });
      }
      const raw = (ws as unknown as { _socket: Socket })._socket;
      if (options.rate > 0) paced(ws, raw, new BenchFrames(shape));
      else blast(raw, blasts.get(shape)!);
    });
  });

  const blast = (raw: Socket, chunks: readonly Buffer[]): void => {
    let next = 0;
    const write = (): void => {
      while (next < chunks.length) {
        if (!raw.write(chunks[next++]!)) {
          raw.once('drain', write);
          return;
        }
      }
      finished();
    };
    write();
  };

  const paced = (ws: WebSocket, raw: Socket, frames: BenchFrames): void => {
    const sessionStart = Date.now();
    let index = 0;
    const due = () => sessionStart + (index * 1000) / options.rate;
    const source = sessionFrames(frames, options, due);
    const pump = (): void => {
      raw.cork();
      try {
        while (ws.bufferedAmount < 4 * 1024 * 1024) {
          if (due() > Date.now()) {
            setTimeout(pump, Math.max(1, due() - Date.now()));
            return;
          }
          const next = source.next();
          if (next.done === true) {
            finished();
            return;
          }
          ws.send(next.value);
          index++;
        }
      } finally {
        raw.uncork();
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
