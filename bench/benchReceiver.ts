import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { parseEventTime } from '../lib/time/parseEventTime';

/**
 * The benchmark's Devo relay (a child process): a mutual-TLS server that counts lines and bytes
 * and, at a rate, for every line, the latency from the event's own `ts` to its arrival. Reports on IPC when
 * `expected` lines have arrived. Scans buffers without decoding whole lines, to stay out of the way.
 */
interface Options {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly expected: number;
  /** Measure each line's latency from its `ts` (at a rate; a blast's frames are made before it starts). */
  readonly latency: boolean;
  /** Take each connection and never read it (a Devo that stopped reading): the sender's queue fills. */
  readonly stall?: boolean;
}

const NL = 0x0a;
const TS = Buffer.from('"ts":"');

function run(options: Options): void {
  const latencies = new Float64Array(options.latency ? options.expected : 0);
  let lines = 0;
  let bytes = 0;
  let firstAt = 0;
  let lastAt = 0;
  let reported = false;
  let at10 = 0;
  let at90 = 0;
  const server = tls.createServer({
    ca: readFileSync(options.ca),
    cert: readFileSync(options.cert),
    key: readFileSync(options.key),
    requestCert: true,
    rejectUnauthorized: true,
  });
  server.on('secureConnection', (socket) => {
    if (options.stall === true) {
      socket.pause();
      socket.on('error', () => undefined);
      return;
    }
    // The chunks of a line not yet ended: joined once, when its newline arrives (a 2 MiB line
    // comes in a hundred chunks).
    let carry: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      const now = Date.now();
      if (firstAt === 0) firstAt = now;
      bytes += chunk.length;
      const line = (data: Buffer, start: number, end: number): void => {
        if (options.latency && lines < latencies.length) {
          const tsAt = data.indexOf(TS, start);
          const ts = tsAt === -1 || tsAt >= end ? undefined : parseEventTime(data.toString('latin1', tsAt + TS.length, data.indexOf(0x22, tsAt + TS.length)));
          latencies[lines] = typeof ts === 'number' ? now - ts : NaN;
        }
        lines++;
      };
      let start = 0;
      let nl = chunk.indexOf(NL);
      if (nl !== -1 && carry.length > 0) {
        const joined = Buffer.concat([...carry, chunk.subarray(0, nl + 1)]);
        carry = [];
        line(joined, 0, joined.length - 1);
        start = nl + 1;
        nl = chunk.indexOf(NL, start);
      }
      while (nl !== -1) {
        line(chunk, start, nl);
        start = nl + 1;
        nl = chunk.indexOf(NL, start);
      }
      if (start < chunk.length) carry.push(chunk.subarray(start));
      lastAt = now;
      if (at10 === 0 && lines >= options.expected * 0.1) at10 = now;
      if (at90 === 0 && lines >= options.expected * 0.9) at90 = now;
      if (!reported && lines >= options.expected) {
        reported = true;
        const sorted = Array.from(latencies.subarray(0, Math.min(lines, latencies.length)))
          .filter((x) => !Number.isNaN(x))
          .sort((a, b) => a - b);
        const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
        process.send?.({ done: true, lines, bytes, firstAt, lastAt, at10, at90, p50: pct(0.5), p99: pct(0.99) });
      }
    });
    socket.on('error', () => undefined);
    socket.on('end', () => socket.end());
  });
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
  process.on('message', (m: { stop?: boolean; count?: boolean }) => {
    if (m.stop === true) process.exit(0);
    if (m.count === true) process.send?.({ counted: true, lines, bytes });
  });
}

run(JSON.parse(process.argv[2] ?? '{}') as Options);
