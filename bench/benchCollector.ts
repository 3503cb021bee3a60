import { configSecrets } from '../lib/config/collectorConfig';
import { loadConfig } from '../lib/config/loadConfig';
import { createLogger } from '../lib/log/logger';
import { SecretRedactor } from '../lib/log/secretRedactor';
import { defaultServices } from '../pipelines/defaultServices';
import { startCollector } from '../pipelines/runner';

/**
 * The collector as `run --config` starts it, with the one runner option the CLI does not offer:
 * `workerOutput` (`multiprocessing: true` with `shared`, the measured alternative to a Devo
 * connection per worker). Argument: JSON `{ config, workerOutput }`. Stops on SIGTERM.
 */
async function main(): Promise<void> {
  const { config: file, workerOutput } = JSON.parse(process.argv[2]!) as { config: string; workerOutput: 'own' | 'shared' };
  const config = await loadConfig(file);
  const logger = createLogger({ debug: false, redactor: new SecretRedactor(configSecrets(config)), write: (line) => process.stdout.write(`${line}\n`) });
  const collector = await startCollector(config, { logger, services: defaultServices, workerOutput });
  process.once('SIGTERM', () => void collector.stop());
  await collector.done;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
