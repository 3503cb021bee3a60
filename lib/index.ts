export { CollectorError, type ErrorCode } from './errors/collectorError';
export { createLogger, silentLogger, type Logger, type LoggerOptions, type LogLevel } from './log/logger';
export { SecretRedactor } from './log/secretRedactor';
export { parseEventTime, type ParsedTime } from './time/parseEventTime';
export { ConfigError } from './config/configError';
export { decodeConfig, loadConfig, type LoadConfigOptions } from './config/loadConfig';
export { loadDevoCredentials, type DevoCredentials } from './config/devoCredentials';
export type {
  CollectorConfig,
  DevoOutputConfig,
  PodInputConfig,
  PodServiceConfig,
  CasbInputConfig,
  CasbServiceConfig,
} from './config/collectorConfig';
export type { Timed } from './operators/timed';
export type { DeadLetter } from './operators/deadLetter';
export { dedupWindow, type DedupWindow, type DedupWindowOptions, type DedupWindowState } from './operators/dedupWindow';
export { normalizeTime } from './operators/normalizeTime';
export { sortWithin, type SortWithinOptions } from './operators/sortWithin';
export { flatten, flattenRecord, type JsonObject } from './operators/flatten';
export { batchBy, type Batch, type BatchByOptions } from './operators/batchBy';
export { Valve, type ValveLimits } from './flow/valve';
export { DevoSender, type DevoSenderOptions, type DevoSenderStats } from './sinks/devoSender';
export { devoSink, type DevoSinkOptions, type DevoWriter, type SinkAck } from './sinks/devoSink';
export { devoLine } from './sinks/devoLine';
export { DevoReceiver, type DevoReceiverOptions } from './simulators/devoReceiver';
export { createThrowawayPki, type ThrowawayPki, type PemPair } from './simulators/throwawayPki';
export { startCollector, type Collector, type RunnerDeps, type ServiceFactory } from '../pipelines/runner';
export { defaultServices } from '../pipelines/defaultServices';
export type { Service } from '../pipelines/service';
