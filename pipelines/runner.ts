import { defer, finalize, merge, retry, Subject, timer, type Observable } from 'rxjs';
import { cleartextWarnings } from '../lib/config/cleartextWarnings';
import type { CollectorConfig } from '../lib/config/collectorConfig';
import { loadDevoCredentials } from '../lib/config/devoCredentials';
import { ConfigError } from '../lib/config/configError';
import { describeError } from '../lib/errors/collectorError';
import type { Logger } from '../lib/log/logger';
import { HttpEndpoint } from '../lib/http/httpEndpoint';
import { DevoSender, type DevoSenderOptions } from '../lib/sinks/devoSender';
import { CollectorTelemetry } from '../lib/telemetry/collectorTelemetry';
import { startSeedTraces } from '../lib/telemetry/seedTraces';
import type { Service } from './service';

/**
 * Builds the services of a config that share one sender; each registers its telemetry with
 * `telemetry` (so that `/metrics`, `/ready` and `/status` see it).
 */
export type ServiceFactory = (config: CollectorConfig, sender: DevoSender, logger: Logger, telemetry: CollectorTelemetry) => Service[];

/** What {@link startCollector} needs besides the config. */
export interface RunnerDeps {
  readonly logger: Logger;
  /** Builds the pipelines; default: every enabled POD and CASB service. */
  readonly services: ServiceFactory;
  /** Longest wait for the pipelines to flush on stop. Default 8 s. */
  readonly stopTimeoutMs?: number;
  /** Serve `/metrics`, `/health`, `/ready` and `/status` here (overrides the config's `globals.http_server`). */
  readonly http?: { readonly address: string; readonly port: number };
  /** `/ready` stays 200 while connecting to Devo has failed for less than this. Default 30 s. */
  readonly readinessGraceMs?: number;
  /** Timings of the Devo sender, for tests and special relays (the defaults suit Devo). */
  readonly senderTuning?: Partial<Pick<DevoSenderOptions, 'idleProbeMs' | 'confirmAfterMs' | 'probationMs' | 'backoffInitialMs' | 'backoffMaxMs'>>;
}

/** A running collector. */
export interface Collector {
  /** Names of the running services. */
  readonly services: readonly string[];
  /** Resolves when every service has stopped and the sender is closed. */
  readonly done: Promise<void>;
  /** Stops the sources, flushes the sink, persists state and closes the connection. */
  stop(): Promise<void>;
  /** What `/metrics`, `/ready` and `/status` read. */
  readonly telemetry: CollectorTelemetry;
  /** The HTTP endpoint's URL (`http://address:port`), when it is on. */
  readonly httpUrl: string | undefined;
}

/**
 * Starts every service of a config on one shared Devo connection, each under a supervisor that
 * logs a failure and restarts the service with capped exponential backoff.
 *
 * @example
 * const collector = await startCollector(config, { logger, services: defaultServices });
 * process.once('SIGTERM', () => void collector.stop());
 * await collector.done;
 */
export async function startCollector(config: CollectorConfig, deps: RunnerDeps): Promise<Collector> {
  const { logger } = deps;
  const { credentials, problems } = await loadDevoCredentials(config.output);
  if (credentials === undefined) throw new ConfigError(config.source, problems);
  const out = config.output;
  if (config.collector.multiprocessing) {
    logger.warn('globals.multiprocessing is true: this version runs every service in one thread (one shared Devo connection); the setting has no effect');
  }
  if (out.insecureSkipServerVerification) {
    logger.warn(
      `outputs.${out.name}.config.insecure_skip_server_verification is true: the Devo relay's identity is NOT verified; anyone on the path can read and alter the events. Use only with a lab relay.`,
    );
  }
  cleartextWarnings(config, logger);
  const telemetry = new CollectorTelemetry(config.collector, deps.readinessGraceMs === undefined ? {} : { readinessGraceMs: deps.readinessGraceMs });
  const sender = new DevoSender({
    ...deps.senderTuning,
    telemetry: telemetry.sender,
    host: out.address,
    port: out.port,
    ca: credentials.ca,
    cert: credentials.cert,
    key: credentials.key,
    ...(out.keyPassphrase === undefined ? {} : { passphrase: out.keyPassphrase }),
    idleTimeoutMs: out.idleTimeoutMs,
    recycleAfterMs: out.recycleAfterMs,
    verifyServer: !out.insecureSkipServerVerification,
    settings: {
      address: `outputs.${out.name}.config.address (${out.address}:${out.port})`,
      chain: `outputs.${out.name}.config.chain (${out.chain.path})`,
      cert: `outputs.${out.name}.config.cert (${out.cert.path})`,
      key: `outputs.${out.name}.config.key (${out.key.path})`,
    },
    logger: logger.child(`OutputProcess::DevoSender(${out.name})`),
  });
  const services = deps.services(config, sender, logger, telemetry);
  const http = deps.http ?? config.httpServer;
  const endpoint = http === undefined ? undefined : await HttpEndpoint.start({ address: http.address, port: http.port, telemetry });
  if (endpoint !== undefined) logger.info(`Serving /metrics, /health, /ready and /status at ${endpoint.url}`);
  const traces = startSeedTraces({ logger, sender: telemetry.sender, outputName: out.name, senderPeriodMs: config.output.senderStatsPeriodMs });
  if (services.length > 0) sender.open();
  const stop$ = new Subject<void>();
  const stateOf = (service: Service) => telemetry.services.find((t) => t.name === service.name);
  const supervised: Observable<unknown>[] = services.map((service) =>
    defer(() => {
      const state = stateOf(service);
      if (state !== undefined && state.state !== 'stopping') state.state = 'running';
      return service.run(stop$);
    }).pipe(
      retry({
        delay: (err: unknown, attempt) => {
          const delay = Math.min(60_000, 1000 * 2 ** Math.min(attempt - 1, 6));
          const state = stateOf(service);
          if (state !== undefined) state.state = 'backoff';
          logger.error(`Service ${service.name} failed: ${describeError(err)}. Restarting it in ${delay / 1000} s`);
          return timer(delay);
        },
      }),
      finalize(() => {
        const state = stateOf(service);
        if (state !== undefined) state.state = 'stopped';
        logger.info(`Service ${service.name} stopped`);
      }),
    ),
  );
  let stopping: Promise<void> | undefined;
  let pipelinesFinished!: () => void;
  const pipelinesDone = new Promise<void>((resolve) => (pipelinesFinished = resolve));
  const subscription = merge(...supervised).subscribe({ complete: () => pipelinesFinished(), error: () => pipelinesFinished() });
  const done = pipelinesDone.then(async () => {
    await sender.close();
    traces.unsubscribe();
    await endpoint?.close();
  });

  logger.info(`Collector ${config.collector.name} (${config.collector.id}) started with ${services.length} service(s): ${services.map((s) => s.name).join(', ') || 'none'}`);
  return {
    services: services.map((s) => s.name),
    done,
    telemetry,
    httpUrl: endpoint?.url,
    stop(): Promise<void> {
      stopping ??= (async () => {
        logger.info('Stopping: closing sources, flushing the sink, persisting state');
        telemetry.stopping = true;
        for (const s of telemetry.services) if (s.state === 'running' || s.state === 'starting') s.state = 'stopping';
        stop$.next();
        stop$.complete();
        // What the pipelines flush now is confirmed by a half-close as soon as it is written.
        sender.drain();
        const stopTimeoutMs = deps.stopTimeoutMs ?? 8_000;
        const flushed = await Promise.race([
          pipelinesDone.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), stopTimeoutMs).unref()),
        ]);
        if (!flushed) {
          logger.warn(`The services did not finish flushing within ${stopTimeoutMs / 1000} s; what they did not commit is pulled again on the next start`);
          subscription.unsubscribe();
          pipelinesFinished();
        }
        await sender.close(1_000);
        await done;
        logger.info('Stopped');
      })();
      return stopping;
    },
  };
}
