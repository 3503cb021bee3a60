import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { configSecrets } from '../../lib/config/collectorConfig';
import { describeError } from '../../lib/errors/collectorError';
import { createLogger } from '../../lib/log/logger';
import { SecretRedactor } from '../../lib/log/secretRedactor';
import { telemetrySnapshotter } from '../../lib/telemetry/telemetrySnapshot';
import { defaultServices } from './defaultServices';
import { startRuntime } from './runner';
import type { WorkerInit, WorkerMessage, WorkerRequest } from './workerProtocol';

/** Telemetry goes to the main thread this often. */
const SNAPSHOT_MS = 1000;

/**
 * A worker thread of `multiprocessing: true` (started by the supervisor, never by hand): runs
 * its unit's services with the single-thread runner, on a Devo connection of its own, and talks to the main thread: log lines (already
 * formatted, in the seeds' shape), telemetry snapshots every second, and a last one once a `stop`
 * has flushed and persisted everything, before the thread ends (its exit is what the supervisor waits for).
 */
async function runWorker(): Promise<void> {
  const init = workerData as WorkerInit;
  const port = parentPort!;
  const post = (message: WorkerMessage) => port.postMessage(message);
  const logger = createLogger({
    debug: init.config.collector.debug,
    redactor: new SecretRedactor(configSecrets(init.config)),
    write: (line) => post({ type: 'log', line }),
  });
  const collector = await startRuntime(init.config, {
    logger,
    services: defaultServices,
    role: 'worker',
    ...(init.senderTuning === undefined ? {} : { senderTuning: init.senderTuning }),
    ...(init.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: init.stopTimeoutMs }),
  });
  const snapshot = telemetrySnapshotter(collector.telemetry);
  const ticker = setInterval(() => post({ type: 'telemetry', snapshot: snapshot() }), SNAPSHOT_MS);
  post({ type: 'telemetry', snapshot: snapshot() });
  // A worker dying of an uncaught exception still reports what it did since the last tick (the
  // monitor runs before the worker ends and changes nothing else; running out of heap gives no such chance).
  process.on('uncaughtExceptionMonitor', () => post({ type: 'telemetry', snapshot: snapshot() }));
  port.on('message', (request: WorkerRequest) => {
    if (request.type === 'stop') {
      void collector.stop().then(() => {
        clearInterval(ticker);
        post({ type: 'telemetry', snapshot: snapshot() });
        port.close();
      });
    } else if (request.type === 'fail' && init.testHooks) {
      // Test hooks: fail the way a worker fails in the field.
      if (request.how === 'throw') {
        setImmediate(() => {
          throw new Error('test hook: an uncaught exception in the worker');
        });
      } else {
        const hog: unknown[] = [];
        const grow = () => {
          for (let i = 0; i < 10_000; i++) hog.push({ i, pad: 'x'.repeat(64) });
          setImmediate(grow);
        };
        grow();
      }
    }
  });
}

if (!isMainThread) {
  runWorker().catch((err: unknown) => {
    parentPort?.postMessage({
      type: 'log',
      line: `${new Date().toISOString()} ERROR MainProcess::MainThread -> ${describeError(err)}`,
    } satisfies WorkerMessage);
    process.exit(1);
  });
}
