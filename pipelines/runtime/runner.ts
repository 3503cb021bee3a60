import { defer, EMPTY, finalize, merge, retry, Subject, timer, type Observable } from 'rxjs';
import { cleartextWarnings } from '../../lib/config/cleartextWarnings';
import type { CollectorConfig } from '../../lib/config/collectorConfig';
import { loadOutputCredentials, type DevoCredentials } from '../../lib/config/devoCredentials';
import { ConfigError } from '../../lib/config/configError';
import { describeError, type CollectorError } from '../../lib/errors/collectorError';
import type { Logger } from '../../lib/log/logger';
import { HttpEndpoint } from '../../lib/http/httpEndpoint';
import { checkStateFiles } from '../../lib/state/checkStateFiles';
import { lockStateDirectory } from '../../lib/state/stateDirectoryLock';
import { CollectorTelemetry } from '../../lib/telemetry/collectorTelemetry';
import { startSeedTraces } from '../../lib/telemetry/seedTraces';
import { STOP_CONFIRM_MS, STOP_TIMEOUT_MS, type Collector, type CollectorOptions } from './collectorOptions';
import { stopWaits } from './stopWaits';
import { outputSender, outputTelemetry } from './outputSender';
import type { RunnerInternals, RuntimeCollector } from './runnerInternals';
import type { Service } from './service';
import { startWorkers } from './workerSupervisor';
import { backoffDelay, RESTART_BACKOFF } from '../../lib/flow/backoff';

/** What every start logs once: an unverified relay, cleartext Proofpoint URLs. */
function startupWarnings(config: CollectorConfig, logger: Logger): void {
  for (const out of config.outputs) {
    if (out.kind === 'console' || !out.insecureSkipServerVerification) continue;
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
export function startCollector(config: CollectorConfig, options: CollectorOptions): Promise<Collector> {
  return startRuntime(config, options);
}

/** {@link startCollector} with the runtime's own knobs: a worker's role, the test hooks. */
export async function startRuntime(config: CollectorConfig, deps: RunnerInternals): Promise<RuntimeCollector> {
  const { logger } = deps;
  const { credentials, problems } = await loadOutputCredentials(config.outputs);
  if (credentials === undefined) throw new ConfigError(config.source, problems);
  if (deps.role === 'worker') return startRunner(config, credentials, deps);
  // An output that can deliver nothing more (standard output closed) stops the collector, as a lost lock does.
  let lost: ((err: CollectorError) => void) | undefined = undefined;
  const runnerDeps: RunnerInternals = { ...deps, onOutputFatal: (err) => lost?.(err) };
  // One collector per state directory, and only state it can use (the workers run under the main thread's lock).
  const lock = await lockStateDirectory(config.stateDirectory, { onLost: (err) => lost?.(err) });
  let collector: RuntimeCollector;
  try {
    await checkStateFiles(config.stateDirectory);
    startupWarnings(config, logger);
    collector = config.collector.multiprocessing ? await startWorkers(config, deps) : await startRunner(config, credentials, runnerDeps);
  } catch (err) {
    await lock.release();
    throw err;
  }
  let fatal: CollectorError | undefined;
  lost = (err) => {
    if (fatal !== undefined) return;
    fatal = err;
    logger.problem(err.code, err.message);
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
async function startRunner(config: CollectorConfig, credentials: readonly DevoCredentials[], deps: RunnerInternals): Promise<RuntimeCollector> {
  const { logger } = deps;
  const telemetry = new CollectorTelemetry(config.collector, deps.readinessGraceMs === undefined ? {} : { readinessGraceMs: deps.readinessGraceMs });
  const sender = outputSender(config, credentials, {
    logger,
    telemetry: (name) => telemetry.output(name),
    ...(deps.senderTuning === undefined ? {} : { tuning: deps.senderTuning }),
    ...(deps.stdout === undefined ? {} : { stdout: deps.stdout }),
    ...(deps.onOutputFatal === undefined ? {} : { onFatal: deps.onOutputFatal }),
  });
  const services = deps.services(config, sender, logger, telemetry);
  const http = deps.http ?? config.httpServer;
  const endpoint =
    http === undefined
      ? undefined
      : await HttpEndpoint.start({ address: http.address, port: http.port, allowedHosts: config.httpServer?.allowedHosts ?? [], telemetry });
  if (endpoint !== undefined) logger.info(`Serving /metrics, /health, /ready and /status at ${endpoint.url}`);
  const traces =
    deps.role === 'worker'
      ? undefined
      : startSeedTraces({ logger, outputs: outputTelemetry(config, telemetry), senderPeriodMs: config.output.senderStatsPeriodMs });
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
          // Stopping (a signal, or an output that can deliver nothing more): a failure ends the service, it is not restarted.
          if (telemetry.stopping) {
            logger.error(`Service ${service.name} failed while stopping: ${describeError(err)}`);
            return EMPTY;
          }
          const delay = backoffDelay(RESTART_BACKOFF, attempt);
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

  logger.info(
    `Collector ${config.collector.name} (${config.collector.id}) started with ${services.length} service(s): ${services.map((s) => s.name).join(', ') || 'none'}`,
  );
  return {
    services: services.map((s) => s.name),
    done,
    telemetry,
    httpUrl: endpoint?.url,
    stop(): Promise<void> {
      stopping ??= (async () => {
        const stopTimeoutMs = deps.stopTimeoutMs ?? STOP_TIMEOUT_MS;
        logger.info(`Stopping: closing sources, flushing the sink, persisting state (${stopWaits(stopTimeoutMs, telemetry.sender.failingSince)})`);
        telemetry.stopping = true;
        for (const s of telemetry.services) if (s.state === 'running' || s.state === 'starting') s.state = 'stopping';
        stop$.next();
        stop$.complete();
        // What the pipelines flush now is confirmed by a half-close as soon as it is written.
        sender.drain();
        const flushed = await Promise.race([
          pipelinesDone.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), stopTimeoutMs).unref()),
        ]);
        if (!flushed) {
          logger.warn(`The services did not finish flushing within ${stopTimeoutMs / 1000} s; what they did not commit is pulled again on the next start`);
          subscription.unsubscribe();
          pipelinesFinished();
        }
        await sender.close(STOP_CONFIRM_MS);
        await done;
        logger.info('Stopped');
      })();
      return stopping;
    },
  };
}

export type { Collector, CollectorOptions, ServiceFactory } from './collectorOptions';
