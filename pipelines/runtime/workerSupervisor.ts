import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CollectorConfig } from '../../lib/config/collectorConfig';
import { errorMessage } from '../../lib/errors/collectorError';
import { HttpEndpoint } from '../../lib/http/httpEndpoint';
import { CollectorTelemetry } from '../../lib/telemetry/collectorTelemetry';
import { startSeedTraces } from '../../lib/telemetry/seedTraces';
import { addRetired, applySenderSnapshots, applyServiceSnapshots, retire, type TelemetrySnapshot } from '../../lib/telemetry/telemetrySnapshot';
import { STOP_TIMEOUT_MS } from './collectorOptions';
import type { RunnerInternals, RuntimeCollector } from './runnerInternals';
import { outputTelemetry } from './outputSender';
import { stopWaits } from './stopWaits';
import type { WorkerInit, WorkerMessage, WorkerRequest } from './workerProtocol';
import { workerHeapLimit } from './workerHeapLimit';
import { workUnits, type WorkUnit } from './workUnits';
import { backoffDelay, RESTART_BACKOFF } from '../../lib/flow/backoff';

interface Slot {
  readonly unit: WorkUnit;
  worker: Worker | undefined;
  attempts: number;
  startedAt: number;
  /** The current worker's last snapshot. */
  snapshot: TelemetrySnapshot | undefined;
  /** What the slot's dead workers reached (a restarted worker counts from zero). */
  retired: TelemetrySnapshot | undefined;
  /** Resolves when the slot's current worker has exited. */
  exited: Promise<void>;
}

/**
 * `multiprocessing: true`: each work unit (a PoD service, a CASB input; see {@link workUnits})
 * runs in a worker thread of its own, with its own pipeline, state and Devo connection (one
 * connection in the main thread for all of them was measured no faster for 50-100 MiB more: see
 * BENCHMARKS.md). The main
 * thread supervises: it starts the workers, restarts one that dies (an uncaught exception, its
 * heap exhausted under `workerResourceLimits`, by default {@link workerHeapLimit}) with capped exponential backoff while the others
 * go on, writes their log lines, answers `/metrics`, `/health`, `/ready` and `/status` for all of
 * them (their telemetry arrives every second), logs the seeds' sender traces for their connections
 * together, and on `stop` asks every worker to flush and persist, within the usual stop time.
 */
export async function startWorkers(config: CollectorConfig, deps: RunnerInternals): Promise<RuntimeCollector> {
  const { logger } = deps;
  const writeLine = deps.writeLine ?? ((line: string) => console.log(line));
  const telemetry = new CollectorTelemetry(config.collector, deps.readinessGraceMs === undefined ? {} : { readinessGraceMs: deps.readinessGraceMs });
  const units = workUnits(config);
  const slots: Slot[] = units.map((unit) => ({
    unit,
    worker: undefined,
    attempts: 0,
    startedAt: 0,
    snapshot: undefined,
    retired: undefined,
    exited: Promise.resolve(),
  }));
  let stopping = false;

  const figures = (slot: Slot): TelemetrySnapshot | undefined => (slot.snapshot === undefined ? slot.retired : addRetired(slot.retired, slot.snapshot));
  const refresh = (slot: Slot): void => {
    const unit = figures(slot);
    // A running worker's services report their own state (their restart back-offs); otherwise the supervisor's stands.
    if (unit !== undefined) applyServiceSnapshots(telemetry, unit, slot.worker !== undefined && slot.snapshot !== undefined && !stopping);
    applySenderSnapshots(
      telemetry,
      slots.map((s) => figures(s)).filter((s): s is TelemetrySnapshot => s !== undefined),
    );
  };
  const setState = (slot: Slot, state: 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped') => {
    for (const name of slot.unit.services) {
      const t = telemetry.services.find((s) => s.name === name);
      if (t !== undefined) t.state = state;
    }
  };
  // Register every service now, so that /status and /ready see them before their first snapshot.
  for (const unit of units) {
    if (unit.config.pod !== undefined) for (const s of unit.config.pod.services) telemetry.service('proofpoint_on_demand', unit.config.pod.inputId, s.name);
    if (unit.config.casb !== undefined) for (const s of unit.config.casb.services) telemetry.service('proofpoint_casb', unit.config.casb.inputId, s.name);
  }

  const spawn = (slot: Slot): void => {
    const init: WorkerInit = {
      config: slot.unit.config,
      testHooks: deps.workerTestHooks === true,
      ...(deps.senderTuning === undefined ? {} : { senderTuning: deps.senderTuning }),
      ...(deps.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: deps.stopTimeoutMs }),
    };
    const worker = new Worker(path.join(__dirname, 'serviceWorker.js'), {
      workerData: init,
      resourceLimits: deps.workerResourceLimits ?? workerHeapLimit(slot.unit.config),
    });
    slot.worker = worker;
    slot.startedAt = Date.now();
    setState(slot, 'running');
    let failure: string | undefined;
    slot.exited = new Promise((resolve) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'log') writeLine(message.line);
        else if (message.type === 'telemetry') {
          slot.snapshot = message.snapshot;
          for (const [name, sender] of message.snapshot.outputs) for (const seconds of sender.latencies) telemetry.output(name).latencyObserver?.(seconds);
          refresh(slot);
        }
      });
      worker.on('error', (err) => (failure = errorMessage(err)));
      worker.on('exit', (code) => {
        slot.worker = undefined;
        // What this worker reached stays counted: the next one starts from zero.
        if (slot.snapshot !== undefined) slot.retired = addRetired(slot.retired, retire(slot.snapshot));
        slot.snapshot = undefined;
        refresh(slot);
        resolve();
        if (stopping) {
          setState(slot, 'stopped');
          return;
        }
        // A worker that lived a minute starts its backoff over.
        slot.attempts = Date.now() - slot.startedAt >= 60_000 ? 1 : slot.attempts + 1;
        const delay = backoffDelay(RESTART_BACKOFF, slot.attempts);
        setState(slot, 'backoff');
        logger.error(
          `Service worker ${slot.unit.name} (${slot.unit.services.join(', ')}) failed: ${failure ?? `it exited with code ${code}`}. Restarting it in ${delay / 1000} s`,
        );
        setTimeout(() => {
          if (!stopping) spawn(slot);
        }, delay).unref();
      });
    });
  };

  const http = deps.http ?? config.httpServer;
  // Each output's telemetry is registered before the metrics read it.
  const outputs = outputTelemetry(config, telemetry);
  const endpoint =
    http === undefined
      ? undefined
      : await HttpEndpoint.start({ address: http.address, port: http.port, allowedHosts: config.httpServer?.allowedHosts ?? [], telemetry });
  if (endpoint !== undefined) logger.info(`Serving /metrics, /health, /ready and /status at ${endpoint.url}`);
  const traces = startSeedTraces({ logger, outputs, senderPeriodMs: config.output.senderStatsPeriodMs });
  for (const slot of slots) spawn(slot);
  logger.info(
    `Collector ${config.collector.name} (${config.collector.id}) started with ${units.length} worker thread(s) (multiprocessing, a Devo connection each): ${units.map((u) => `${u.name} [${u.services.join(', ')}]`).join(', ') || 'none'}`,
  );

  let stopped: Promise<void> | undefined;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      telemetry.stopping = true;
      logger.info(
        `Stopping: asking every worker to close its sources, flush and persist (${stopWaits(deps.stopTimeoutMs ?? STOP_TIMEOUT_MS, telemetry.sender.failingSince)})`,
      );
      for (const slot of slots) {
        setState(slot, 'stopping');
        slot.worker?.postMessage({ type: 'stop' } satisfies WorkerRequest);
      }
      const stopTimeoutMs = (deps.stopTimeoutMs ?? STOP_TIMEOUT_MS) + 1_500;
      const all = Promise.all(slots.map((s) => s.exited));
      const inTime = await Promise.race([all.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), stopTimeoutMs).unref())]);
      if (!inTime) {
        logger.warn(`Workers did not stop within ${stopTimeoutMs / 1000} s; terminating them (what they did not commit is pulled again on the next start)`);
        await Promise.all(slots.flatMap((s) => (s.worker === undefined ? [] : [s.worker.terminate()])));
      }
      traces.unsubscribe();
      await endpoint?.close();
      logger.info('Stopped');
      finished();
    })();
    return stopped;
  };

  return {
    services: units.flatMap((u) => u.services),
    done,
    telemetry,
    httpUrl: endpoint?.url,
    stop,
    failWorker(unit, how) {
      if (deps.workerTestHooks !== true) throw new Error('failWorker needs workerTestHooks');
      slots.find((s) => s.unit.name === unit)?.worker?.postMessage({ type: 'fail', how } satisfies WorkerRequest);
    },
  };
}
