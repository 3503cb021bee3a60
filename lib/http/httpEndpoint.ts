import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { asyncScheduler, interval, type SchedulerLike, type Subscription } from 'rxjs';
import type { CollectorTelemetry } from '../telemetry/collectorTelemetry';
import type { PrometheusMetrics } from '../telemetry/prometheusMetrics';
import { hostAllowlist } from './hostAllowlist';
import { requestTargetPath } from './requestTarget';

/** Options of {@link HttpEndpoint.start}. */
export interface HttpEndpointOptions {
  /** Default `127.0.0.1`; `0.0.0.0` to be scraped from elsewhere (a container). */
  readonly address?: string;
  /** Default 0: any free port (see {@link HttpEndpoint.port}). */
  readonly port?: number;
  /**
   * Names answered in the `Host` header besides IP literals, `localhost`, the machine's host name
   * and `address` (`globals.http_server.allowed_hosts`); any other is 421 (see `hostAllowlist`).
   */
  readonly allowedHosts?: readonly string[];
  readonly telemetry: CollectorTelemetry;
  /**
   * `/health` answers 503 when the event loop was stuck this long (a timer due every second
   * fired this late). Default 10 s.
   */
  readonly stuckAfterMs?: number;
  readonly scheduler?: SchedulerLike;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Most connections the endpoint holds at once; one more is closed as it arrives. A slowloris
 * cannot take the process's descriptors (Devo reconnects and state writes need them); Prometheus,
 * probes and `status --watch` use a handful.
 */
export const HTTP_MAX_CONNECTIONS = 32;
/** A request whose headers have not all arrived this long after the connection opened is cut (Node checks every second). */
export const HTTP_HEADERS_TIMEOUT_MS = 5000;

/**
 * The collector's HTTP endpoint, off unless configured (`globals.http_server`, `run --http`):
 * - `GET /metrics`: Prometheus text (prom-client, loaded with the endpoint);
 * - `GET /health`: liveness, 200 while the process is responsive, 503 after its event loop was
 *   stuck;
 * - `GET /ready`: readiness, 200 only when delivery to Devo works (the relay confirmed what was
 *   sent, or failing for less than the grace period; a handshake alone is not enough), every
 *   service runs and state can be written; otherwise 503 with a JSON body naming the failing
 *   check (and while stopping);
 * - `GET /status`: a JSON document per service (see `CollectorStatus`), for `status` and people.
 * Nothing it serves holds a secret. Anything else is 404; a method other than GET (or HEAD) is
 * 405; a request target that is not a path (`GET //[`, `GET http://a:b`) is 400; a `Host` that is
 * neither an IP address, `localhost`, the machine's name nor an allowed host is 421 (against DNS
 * rebinding). At most {@link HTTP_MAX_CONNECTIONS} connections, each cut when its headers take
 * longer than {@link HTTP_HEADERS_TIMEOUT_MS}.
 *
 * @example
 * const endpoint = await HttpEndpoint.start({ address: '0.0.0.0', port: 9464, telemetry });
 * // curl http://localhost:9464/ready
 * await endpoint.close();
 */
export class HttpEndpoint {
  private lastTick: number;
  private stuckUntil = 0;
  private readonly ticker: Subscription;
  private readonly hostAllowed: (host: string | undefined) => boolean;

  private constructor(
    private readonly server: http.Server,
    private readonly options: HttpEndpointOptions,
    private readonly metrics: PrometheusMetrics,
    private readonly scheduler: SchedulerLike,
  ) {
    this.lastTick = scheduler.now();
    this.hostAllowed = hostAllowlist([hostname(), options.address ?? '127.0.0.1', ...(options.allowedHosts ?? [])]);
    // A heartbeat: when it fires late by more than the threshold, the event loop was stuck.
    this.ticker = interval(1000, scheduler).subscribe(() => {
      const now = this.scheduler.now();
      if (now - this.lastTick > (this.options.stuckAfterMs ?? 10_000)) this.stuckUntil = now + 30_000;
      this.lastTick = now;
    });
    // `answer` never rejects (it catches everything and answers 500); the catch is the last guard,
    // so that nothing a client sends may become an unhandled rejection.
    server.on('request', (req, res) => {
      this.answer(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  /** Starts listening; resolves once the port is bound (rejects when it cannot be, e.g. in use). */
  static async start(options: HttpEndpointOptions): Promise<HttpEndpoint> {
    // prom-client is loaded only when the endpoint is on.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose
    const { PrometheusMetrics: Metrics } = require('../telemetry/prometheusMetrics') as typeof import('../telemetry/prometheusMetrics');
    const server = http.createServer({
      connectionsCheckingInterval: 1000,
      headersTimeout: HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: 2 * HTTP_HEADERS_TIMEOUT_MS,
    });
    server.keepAliveTimeout = 5000;
    server.maxConnections = HTTP_MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.address ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new HttpEndpoint(server, options, new Metrics(options.telemetry), options.scheduler ?? asyncScheduler);
  }

  /** The bound port. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://address:port` */
  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  /** Stops listening and closes the open connections. */
  close(): Promise<void> {
    this.ticker.unsubscribe();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(405, JSON_TYPE, '{"error":"method not allowed"}\n');
      return;
    }
    if (!this.hostAllowed(req.headers.host)) {
      send(
        421,
        JSON_TYPE,
        `${JSON.stringify({ error: 'this Host is not served here: add it to globals.http_server.allowed_hosts, or use an IP address or localhost' })}\n`,
      );
      return;
    }
    const { telemetry } = this.options;
    const path = requestTargetPath(req.url);
    if (path === undefined) {
      send(400, JSON_TYPE, '{"error":"bad request target: expected a path such as /metrics"}\n');
      return;
    }
    try {
      switch (path) {
        case '/metrics':
          send(200, this.metrics.contentType, await this.metrics.text());
          return;
        case '/health': {
          const stuck = this.scheduler.now() < this.stuckUntil;
          send(stuck ? 503 : 200, JSON_TYPE, `${JSON.stringify(stuck ? { status: 'unresponsive', detail: 'the event loop was stuck' } : { status: 'ok' })}\n`);
          return;
        }
        case '/ready': {
          const readiness = telemetry.readiness();
          send(readiness.ready ? 200 : 503, JSON_TYPE, `${JSON.stringify(readiness.ready ? { status: 'ready' } : { status: 'not ready', ...readiness })}\n`);
          return;
        }
        case '/status':
          send(200, JSON_TYPE, `${JSON.stringify(telemetry.status(), null, 2)}\n`);
          return;
        default:
          send(404, JSON_TYPE, `${JSON.stringify({ error: 'not found', paths: ['/metrics', '/health', '/ready', '/status'] })}\n`);
      }
    } catch (err) {
      send(500, JSON_TYPE, `${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`);
    }
  }
}
