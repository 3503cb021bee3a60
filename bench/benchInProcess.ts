import { existsSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import * as path from 'node:path';
import { Subject, type Observable } from 'rxjs';
import { WebSocketServer } from 'ws';
import type { CollectorConfig } from '../lib/config/collectorConfig';
import type { Logger } from '../lib/log/logger';
import type { DevoReceipt, DevoWriter, SendOptions } from '../lib/sinks/devoWriter';
import type { CollectorTelemetry } from '../lib/telemetry/collectorTelemetry';
import { FRAME_SHAPES, type FrameShapeName } from './benchFrames';
import { encodeBlast } from './benchBlast';

/** What the child reports on IPC. */
export interface InProcessResult {
  /** Wall time per event between 10% and 90% of the events delivered, in ns. */
  readonly wallNs: number;
  /** CPU time (user + system) per event over the same span, in ns. */
  readonly cpuNs: number;
}

interface Options {
  /** The build's `dist` directory (this one's, or `--before`'s). */
  readonly dist: string;
  readonly shape: FrameShapeName;
  readonly total: number;
  /** An empty directory for the config and the state. */
  readonly dir: string;
  /** The bench's throwaway certificates (the config is checked as in production). */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** The few entry points of a build this needs, loaded from its `dist` (the same in both builds). */
interface Build {
  loadConfig(file: string): Promise<CollectorConfig>;
  podServices(
    config: CollectorConfig,
    writer: DevoWriter,
    logger: Logger,
    telemetry: CollectorTelemetry,
  ): Array<{ run(stop$: Observable<void>): Observable<unknown> }>;
  CollectorTelemetry: new (collector: CollectorConfig['collector']) => CollectorTelemetry;
  silentLogger: Logger;
}

function load(dist: string): Build {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- another build's files, found at run time
  const need = (file: string) => require(path.join(dist, file)) as Record<string, unknown>;
  // A `--before` build may predate pipelines/pod/ (the PoD files were in pipelines/ itself).
  const pod = existsSync(path.join(dist, 'pipelines/pod/pod.js')) ? 'pipelines/pod/pod.js' : 'pipelines/pod.js';
  return {
    ...(need('lib/config/loadConfig.js') as Pick<Build, 'loadConfig'>),
    ...(need(pod) as Pick<Build, 'podServices'>),
    ...(need('lib/telemetry/collectorTelemetry.js') as Pick<Build, 'CollectorTelemetry'>),
    ...(need('lib/log/logger.js') as Pick<Build, 'silentLogger'>),
  };
}

/**
 * The per-event cost of a build's PoD pipeline alone (bench scenario `per-event`), in a child
 * process of its own: the frames come from a websocket server in this process (pre-encoded, one
 * raw write per 256 KiB, in the bench source's order) and the Devo writer takes each batch at
 * once, so that no TLS, relay or other process shares the measurement: the machine's noise is
 * what is left. No duplicates.
 */
async function run(o: Options): Promise<InProcessResult> {
  const build = load(o.dist);
  const type = FRAME_SHAPES[o.shape].type;
  const chunks = encodeBlast(o.shape, { total: o.total, duplicates: 0 });

  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (ws) => {
    const raw = (ws as unknown as { _socket: Socket })._socket;
    let k = 0;
    const write = (): void => {
      while (k < chunks.length) if (!raw.write(chunks[k++]!)) return void raw.once('drain', write);
    };
    write();
  });
  const dir = o.dir;
  try {
    // The output is never connected: the pipeline writes to the writer below.
    writeFileSync(
      path.join(dir, 'config.yaml'),
      `globals: { id: "1", name: per-event, persistence: { type: filesystem, config: { directory_name: ${JSON.stringify(path.join(dir, 'state'))} } } }
outputs: { devo_1: { type: devo_platform, config: { address: localhost, port: 1, type: SSL, chain: ${o.ca}, cert: ${o.cert}, key: ${o.key}, hostname: bench } } }
inputs:
  proofpoint_on_demand:
    id: "1"
    credentials: { cluster_id: bench_hosted, api_token: bench }
    override_url_base: ws://127.0.0.1:${(server.address() as AddressInfo).port}
    services: { ${type}: { period_in_seconds: 1 } }
`,
    );
    const config = await build.loadConfig(path.join(dir, 'config.yaml'));
    const done: DevoReceipt = { written: Promise.resolve(), delivered: Promise.resolve() };
    const writer: DevoWriter = {
      send(_data: Buffer, options: SendOptions = {}): DevoReceipt {
        options.onRelease?.();
        return done;
      },
    };
    const telemetry = new build.CollectorTelemetry(config.collector);
    const [service] = build.podServices(config, writer, build.silentLogger, telemetry);
    const stop$ = new Subject<void>();
    const subscription = service!.run(stop$).subscribe({ error: (err: unknown) => console.error(err) });
    const counters = telemetry.services[0]!.counters;
    let at10: { at: bigint; cpu: NodeJS.CpuUsage; sent: number } | undefined;
    let at90: typeof at10;
    while (at90 === undefined) {
      await new Promise((resolve) => setImmediate(resolve));
      const sent = counters.sent;
      if (at10 === undefined && sent >= o.total * 0.1) at10 = { at: process.hrtime.bigint(), cpu: process.cpuUsage(), sent };
      if (at10 !== undefined && sent >= o.total * 0.9) at90 = { at: process.hrtime.bigint(), cpu: process.cpuUsage(), sent };
    }
    const n = at90.sent - at10!.sent;
    const cpu = at90.cpu.user + at90.cpu.system - at10!.cpu.user - at10!.cpu.system;
    stop$.next();
    subscription.unsubscribe();
    return { wallNs: Number(at90.at - at10!.at) / n, cpuNs: (cpu * 1000) / n };
  } finally {
    // The state directory stays: the pipeline may still be writing it (the bench removes its work directory).
    server.close();
  }
}

run(JSON.parse(process.argv[2]!) as Options).then(
  (result) => process.send?.(result, () => process.exit(0)),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
