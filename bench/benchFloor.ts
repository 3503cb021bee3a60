import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import WebSocket from 'ws';

/**
 * The floor: the least a forwarder must do, i.e. the physical limit of this machine's websocket +
 * TLS path in Node. Each websocket frame gets a syslog header (arrival time, host, tag) and goes to
 * the TLS relay as is: no parsing, no de-dup, no sort, no state. Writes are corked per event-loop
 * turn, and the websocket is paused while the TLS socket is full.
 */
interface Options {
  readonly url: string;
  readonly port: number;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

function run(options: Options): void {
  const socket = tls.connect({
    host: 'localhost',
    port: options.port,
    ca: readFileSync(options.ca),
    cert: readFileSync(options.cert),
    key: readFileSync(options.key),
  });
  socket.setNoDelay(true);
  socket.on('secureConnect', () => {
    const ws = new WebSocket(`${options.url}/v1/stream?cid=bench_hosted&type=message`, { headers: { Authorization: 'Bearer bench' }, maxPayload: 128 << 20 });
    let corked = false;
    let paused = false;
    ws.on('message', (data: Buffer) => {
      if (!corked) {
        corked = true;
        socket.cork();
        setImmediate(() => {
          corked = false;
          socket.uncork();
        });
      }
      const ok = socket.write(`<14>${new Date().toISOString()} floor mail.proofpoint.pod.message: ${data.toString('utf8')}\n`);
      if (!ok && !paused) {
        paused = true;
        ws.pause();
        socket.once('drain', () => {
          paused = false;
          ws.resume();
        });
      }
    });
    ws.on('error', () => undefined);
  });
  socket.on('error', (err) => {
    console.error(err.message);
    process.exit(1);
  });
  process.on('SIGTERM', () => process.exit(0));
}

run(JSON.parse(process.argv[2] ?? '{}') as Options);
