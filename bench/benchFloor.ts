import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import WebSocket from 'ws';

/**
 * The floor: the fastest honest forwarder we could write in Node on the collector's path (the
 * same `ws` client and `tls` socket, a syslog header on each frame, nothing parsed, de-duplicated,
 * sorted or persisted): the physical limit of this machine's websocket + TLS path, which the
 * pipeline is measured against. The variants are the ways tried to make it faster (BENCHMARKS.md);
 * `buffers` won and is the floor.
 *
 * - `per-frame`: one `socket.write` of a string per frame, corked per event-loop turn, one
 *   `toISOString()` per frame (the floor before issue 16);
 * - `joined`: the frames of a turn (or 300, whichever first) joined with their headers into one
 *   string, one write; one header time per write;
 * - `buffers`: the same with Buffers (header bytes, the frame's own bytes, a newline) and one
 *   `Buffer.concat`, sparing the UTF-8 decode and encode of each frame; a frame of 64 KiB or more
 *   is written on its own, uncopied (what `writev` does better for large frames);
 * - `writev`: a write per header and per frame, corked, so that libuv makes one `writev` of them;
 * - `buffers-unchecked`: `buffers` with `ws`'s UTF-8 validation of text frames off.
 *
 * The websocket is paused while the TLS socket is full.
 */
export const FLOOR_VARIANTS = ['buffers', 'per-frame', 'joined', 'writev', 'buffers-unchecked'] as const;
export type FloorVariant = (typeof FLOOR_VARIANTS)[number];

interface Options {
  readonly url: string;
  readonly port: number;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** The PoD type to ask for (default `message`). */
  readonly type?: string;
  readonly variant?: FloorVariant;
}

/** Frames per write at most (a turn's frames otherwise). */
const MAX_FRAMES_PER_WRITE = 300;
/** `buffers`: frames from this size on are written as they are, not copied into the batch. */
const LARGE_FRAME = 64 * 1024;

function run(options: Options): void {
  const variant = options.variant ?? 'buffers';
  const type = options.type ?? 'message';
  const socket = tls.connect({
    host: 'localhost',
    port: options.port,
    ca: readFileSync(options.ca),
    cert: readFileSync(options.cert),
    key: readFileSync(options.key),
  });
  socket.setNoDelay(true);
  socket.on('secureConnect', () => {
    const ws = new WebSocket(`${options.url}/v1/stream?cid=bench_hosted&type=${type}`, {
      headers: { Authorization: 'Bearer bench' },
      maxPayload: 128 << 20,
      ...(variant === 'buffers-unchecked' ? { skipUTF8Validation: true } : {}),
    });
    const tag = ` floor mail.proofpoint.pod.${type}: `;
    let paused = false;
    const written = (ok: boolean): void => {
      if (ok || paused) return;
      paused = true;
      ws.pause();
      socket.once('drain', () => {
        paused = false;
        ws.resume();
      });
    };
    let scheduled = false;
    const later = (flush: () => void): void => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        flush();
      });
    };

    if (variant === 'per-frame') {
      ws.on('message', (data: Buffer) => {
        if (!scheduled) {
          socket.cork();
          later(() => socket.uncork());
        }
        written(socket.write(`<14>${new Date().toISOString()}${tag}${data.toString('utf8')}\n`));
      });
    } else if (variant === 'joined') {
      let text = '';
      let count = 0;
      const flush = (): void => {
        if (count === 0) return;
        const out = text;
        text = '';
        count = 0;
        written(socket.write(out));
      };
      let header = '';
      ws.on('message', (data: Buffer) => {
        if (count === 0) header = `<14>${new Date().toISOString()}${tag}`;
        text += `${header}${data.toString('utf8')}\n`;
        if (++count >= MAX_FRAMES_PER_WRITE) flush();
        else later(flush);
      });
    } else if (variant === 'buffers' || variant === 'buffers-unchecked') {
      let parts: Buffer[] = [];
      let count = 0;
      let header = Buffer.alloc(0);
      const NL = Buffer.from('\n');
      const flush = (): void => {
        if (count === 0) return;
        const out = Buffer.concat(parts);
        parts = [];
        count = 0;
        written(socket.write(out));
      };
      ws.on('message', (data: Buffer) => {
        if (count === 0) header = Buffer.from(`<14>${new Date().toISOString()}${tag}`);
        if (data.length >= LARGE_FRAME) {
          // Copying a large frame into the batch costs more than a write of its own.
          flush();
          socket.cork();
          socket.write(header);
          socket.write(data);
          written(socket.write(NL));
          socket.uncork();
          return;
        }
        parts.push(header, data, NL);
        if (++count >= MAX_FRAMES_PER_WRITE) flush();
        else later(flush);
      });
    } else {
      let header = '';
      ws.on('message', (data: Buffer) => {
        if (!scheduled) {
          header = `<14>${new Date().toISOString()}${tag}`;
          socket.cork();
          later(() => socket.uncork());
        }
        socket.write(header);
        socket.write(data);
        written(socket.write('\n'));
      });
    }
    ws.on('error', () => undefined);
  });
  socket.on('error', (err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
  process.on('SIGTERM', () => process.exit(0));
}

if (require.main === module) run(JSON.parse(process.argv[2] ?? '{}') as Options);
