import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { parseEventTime } from '../lib/time/parseEventTime';

/**
 * The benchmark's Devo relay (a child process): a mutual-TLS server that counts lines and bytes
 * and, for every line, the latency from the event's own `ts` to its arrival. Reports on IPC when
 * `expected` lines have arrived. Scans buffers without decoding whole lines, to stay out of the way.
 */
interface Options {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly expected: number;
}

const NL = 0x0a;
const TS = Buffer.from('"ts":"');

function run(options: Options): void {
  const latencies = new Float64Array(options.expected);
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
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const now = Date.now();
      if (firstAt === 0) firstAt = now;
      bytes += chunk.length;
      const data = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let start = 0;
      let nl = data.indexOf(NL, start);
      while (nl !== -1) {
        const tsAt = data.indexOf(TS, start);
        if (tsAt !== -1 && tsAt < nl && lines < latencies.length) {
          const end = data.indexOf(0x22, tsAt + TS.length);
          const ts = parseEventTime(data.toString('latin1', tsAt + TS.length, end));
          latencies[lines] = typeof ts === 'number' ? now - ts : NaN;
        }
        lines++;
        start = nl + 1;
        nl = data.indexOf(NL, start);
      }
      pending = data.subarray(start);
      lastAt = now;
      if (at10 === 0 && lines >= options.expected * 0.1) at10 = now;
      if (at90 === 0 && lines >= options.expected * 0.9) at90 = now;
      if (!reported && lines >= options.expected) {
        reported = true;
        const sorted = Array.from(latencies.subarray(0, Math.min(lines, latencies.length))).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
        const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
        process.send?.({ done: true, lines, bytes, firstAt, lastAt, at10, at90, p50: pct(0.5), p99: pct(0.99) });
      }
    });
    socket.on('error', () => undefined);
    socket.on('end', () => socket.end());
  });
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
  process.on('message', (m: { stop?: boolean }) => {
    if (m.stop === true) process.exit(0);
  });
}

run(JSON.parse(process.argv[2] ?? '{}') as Options);
