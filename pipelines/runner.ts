import type { ResourceLimits } from 'node:worker_threads';
import { defer, finalize, merge, retry, Subject, timer, type Observable } from 'rxjs';
import { cleartextWarnings } from '../lib/config/cleartextWarnings';
import type { CollectorConfig } from '../lib/config/collectorConfig';
import { loadDevoCredentials, type DevoCredentials } from '../lib/config/devoCredentials';
import { ConfigError } from '../lib/config/configError';
import { describeError, type CollectorError } from '../lib/errors/collectorError';
import type { Logger } from '../lib/log/logger';
import { HttpEndpoint } from '../lib/http/httpEndpoint';
import type { DevoWriter } from '../lib/sinks/devoWriter';
import { checkStateFiles } from '../lib/state/checkStateFiles';
import { lockStateDirectory } from '../lib/state/stateDirectoryLock';
import { CollectorTelemetry } from '../lib/telemetry/collectorTelemetry';
import { startSeedTraces } from '../lib/telemetry/seedTraces';
import { outputSender, type SenderTuning } from './outputSender';
import type { Service } from './service';
import { startWorkers } from './workerSupervisor';

/**
 * Builds the services of a config that share one sender; each registers its telemetry with
 * `telemetry` (so that `/metrics`, `/ready` and `/status` see it).
 */
export type ServiceFactory = (config: CollectorConfig, sender: DevoWriter, logger: Logger, telemetry: CollectorTelemetry) => Service[];

/** What the runner writes through: a `DevoSender`, or a worker's link to the main thread's (`RemoteWriter`). */
export interface OutputWriter extends DevoWriter {
  open(): void;
  drain(): void;
  close(timeoutMs?: number): Promise<void>;
}

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
  /**
   * `worker`: the runner of a `multiprocessing: true` worker thread, which leaves the startup
   * warnings and the seeds' sender and memory traces to the main thread. Default `main`.
   */
  readonly role?: 'main' | 'worker';
  /** `multiprocessing: true`: where the workers' log lines go, as they are. Default `console.log`. */
  readonly writeLine?: (line: string) => void;
  /** `multiprocessing: true`: limits of each worker's heap; a worker past them is restarted. Default: from its config (`workerHeapLimit`). */
  readonly workerResourceLimits?: ResourceLimits;
  /** `multiprocessing: true`: accept `failWorker` (tests only). */
  readonly workerTestHooks?: boolean;
  /**
   * `multiprocessing: true`: `own` (default), each worker on a Devo connection of its own;
   * `shared`, one connection in the main thread for all of them (see README, "Multiprocessing").
   */
  readonly workerOutput?: 'own' | 'shared';
  /** Write through this instead of a sender of the runner's own (a worker sharing the main thread's). */
  readonly writer?: OutputWriter;
  /** Timings of the Devo sender, for tests and special relays (the defaults suit Devo). */
  readonly senderTuning?: SenderTuning;
}

/** A running collector. */
export interface Collector {
  /** Names of the running services. */
  readonly services: readonly string[];
  /**
   * Resolves when every service has stopped, the sender is closed and the state directory's lock
   * released; rejects (`STATE_DIRECTORY_LOCKED`) when the collector had to stop on its own because
   * it lost that lock (another process may be using the directory).
   */
  readonly done: Promise<void>;
  /** Stops the sources, flushes the sink, persists state and closes the connection. */
  stop(): Promise<void>;
  /** What `/metrics`, `/ready` and `/status` read. */
  readonly telemetry: CollectorTelemetry;
  /** The HTTP endpoint's URL (`http://address:port`), when it is on. */
  readonly httpUrl: string | undefined;
  /** `multiprocessing: true` with `workerTestHooks`: makes a unit's worker fail (tests only). */
  failWorker?(unit: string, how: 'throw' | 'oom'): void;
}

/** What every start logs once: an unverified relay, cleartext Proofpoint URLs. */
function startupWarnings(config: CollectorConfig, logger: Logger): void {
  const out = config.output;
  if (out.insecureSkipServerVerification) {
    logger.warn(
      `outputs.${out.name}.config.insecure_skip_server_verification is true: the Devo relay's identity is NOT verified; anyone on the path can read and alter the events. Use only with a lab relay.`,
    );
  }
  cleartextWarnings(config, logger);
}

/**
 * Starts every service of a config on one shared Devo connection, each under a supervisor that
 * logs a failure and restarts the service with capped exponential backoff. First it takes the
 * state directory's lock (`STATE_DIRECTORY_LOCKED` when another collector holds it) and checks
 * that every state file there can be read and written (`STATE_UNREADABLE`), so that a collector
 * never pulls into state it shares or cannot keep.
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
  if (deps.role === 'worker') return startRunner(config, credentials, deps);
  // One collector per state directory, and only state it can use (the workers run under the main thread's lock).
  let lost: ((err: CollectorError) => void) | undefined;
  const lock = await lockStateDirectory(config.stateDirectory, { onLost: (err) => lost?.(err) });
  let collector: Collector;
  try {
    await checkStateFiles(config.stateDirectory);
    startupWarnings(config, logger);
    collector = config.collector.multiprocessing ? await startWorkers(config, credentials, deps) : await startRunner(config, credentials, deps);
  } catch (err) {
    await lock.release();
    throw err;
  }
  let fatal: CollectorError | undefined;
  lost = (err) => {
    fatal = err;
    logger.error(describeError(err));
    void collector.stop();
  };
  const done = collector.done.then(async () => {
    await lock.release();
    if (fatal !== undefined) throw fatal;
  });
  // Rejects only when the collector had to stop on its own; an embedder that never awaits it is not crashed by that.
  done.catch(() => undefined);
  return {
    ...collector,
    done,
    stop: async () => {
      await collector.stop();
      await done.catch(() => undefined);
    },
  };
}

/** The single-thread runner: every service of `config` on one sender (a worker's, or the whole collector's). */
async function startRunner(config: CollectorConfig, credentials: DevoCredentials, deps: RunnerDeps): Promise<Collector> {
  const { logger } = deps;
  const telemetry = new CollectorTelemetry(config.collector, deps.readinessGraceMs === undefined ? {} : { readinessGraceMs: deps.readinessGraceMs });
  const sender: OutputWriter = deps.writer ?? outputSender(config, credentials, { logger, telemetry: telemetry.sender, ...(deps.senderTuning === undefined ? {} : { tuning: deps.senderTuning }) });
  const services = deps.services(config, sender, logger, telemetry);
  const http = deps.http ?? config.httpServer;
  const endpoint = http === undefined ? undefined : await HttpEndpoint.start({ address: http.address, port: http.port, allowedHosts: config.httpServer?.allowedHosts ?? [], telemetry });
  if (endpoint !== undefined) logger.info(`Serving /metrics, /health, /ready and /status at ${endpoint.url}`);
  const traces = deps.role === 'worker' ? undefined : startSeedTraces({ logger, sender: telemetry.sender, outputName: config.output.name, senderPeriodMs: config.output.senderStatsPeriodMs });
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
    traces?.unsubscribe();
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
