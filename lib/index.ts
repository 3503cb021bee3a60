/**
 * proofpoint-devo-collector, embedded in a Node application: load a Devo-style `config.yaml` (or
 * build a `CollectorConfig`), start every enabled service on one Devo connection, stop it cleanly.
 * Importing this entry loads neither the CASB HTTP stack nor the simulators: `defaultServices`
 * loads the CASB pipeline only when a CASB input is enabled.
 *
 * Other entry points: `proofpoint-devo-collector/operators` (the building blocks, for pipelines
 * of your own) and `proofpoint-devo-collector/simulators` (stand-ins for PoD, CASB and a Devo
 * relay, for your tests).
 *
 * @example
 * import { loadConfig, startCollector, defaultServices, createLogger } from 'proofpoint-devo-collector';
 *
 * const config = await loadConfig('config/config.yaml', { env: process.env });
 * const collector = await startCollector(config, { logger: createLogger(), services: defaultServices });
 * process.once('SIGTERM', () => void collector.stop()); // stop sources, flush, persist, close
 * await collector.done;
 *
 * @packageDocumentation
 */
export { CollectorError, type ErrorCode } from './errors/collectorError';
export { ConfigError } from './config/configError';
export { decodeConfig, loadConfig, type LoadConfigOptions } from './config/loadConfig';
export { checkWithoutEnvironment, type CheckWithoutEnvironmentOptions, type CheckWithoutEnvironmentResult } from './config/checkWithoutEnvironment';
export type {
  CasbInputConfig,
  CasbServiceConfig,
  CollectorConfig,
  ConsoleOutputConfig,
  DevoOutputConfig,
  OutputConfig,
  SyslogOutputConfig,
  PodInputConfig,
  PodServiceConfig,
  InertSetting,
  InFlightLimits,
  RequestsLimit,
} from './config/collectorConfig';
export { createLogger, silentLogger, type Logger, type LoggerOptions, type LogLevel, type LogMessage } from './log/logger';
export { startCollector, type Collector, type CollectorOptions, type ServiceFactory } from '../pipelines/runtime/runner';
export { defaultServices } from '../pipelines/runtime/defaultServices';
export type { PipelineDeps, Service } from '../pipelines/runtime/service';
