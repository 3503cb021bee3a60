export { CollectorError, type ErrorCode } from './errors/collectorError';
export { createLogger, silentLogger, type Logger, type LoggerOptions, type LogLevel } from './log/logger';
export { SecretRedactor } from './log/secretRedactor';
export { parseEventTime, type ParsedTime } from './time/parseEventTime';
export { ConfigError } from './config/configError';
export { decodeConfig, loadConfig, type LoadConfigOptions } from './config/loadConfig';
export { checkWithoutEnvironment, type CheckWithoutEnvironmentOptions, type CheckWithoutEnvironmentResult } from './config/checkWithoutEnvironment';
export { logInertSettings } from './config/inertSettings';
export { checkStateDirectoryWritable } from './state/checkStateDirectoryWritable';
export { loadDevoCredentials, type DevoCredentials } from './config/devoCredentials';
export type {
  CollectorConfig,
  DevoOutputConfig,
  PodInputConfig,
  PodServiceConfig,
  CasbInputConfig,
  CasbServiceConfig,
  RequestsLimit,
  InFlightLimits,
  InertSetting,
} from './config/collectorConfig';
export type { Timed } from './operators/timed';
export type { DeadLetter } from './operators/deadLetter';
export { dedupWindow, type DedupWindow, type DedupWindowOptions, type DedupWindowState } from './operators/dedupWindow';
export { normalizeTime } from './operators/normalizeTime';
export { sortWithin, type SortWithinOptions } from './operators/sortWithin';
export { flatten, flattenRecord, type JsonObject } from './operators/flatten';
export { batchBy, type Batch, type BatchByOptions } from './operators/batchBy';
export { Valve, type ValveLimits } from './flow/valve';
export { ByteArena, type ByteArenaOptions } from './flow/byteArena';
export { DevoSender, type DevoSenderOptions, type DevoSenderStats } from './sinks/devoSender';
export { devoSink, type DevoSinkOptions, type SinkAck } from './sinks/devoSink';
export { devoWrite, type DevoBatchOptions, type DevoWriteOptions, type WrittenBatch } from './sinks/devoWrite';
export type { DevoReceipt, DevoWriter } from './sinks/devoWriter';
export { devoLine } from './sinks/devoLine';
export { commitAcks, type CommitAcksOptions, type CommitReason } from './operators/commitAcks';
export { podSource, podStreamUrl, type PodSourceEvent, type PodSourceOptions } from './sources/podSource';
export { parsePodFrame, isRejectedFrame, podKeyField, type PodFrame, type RejectedFrame } from './sources/podFrame';
export { scanJsonObject, jsonObjectScanner, type ScannedObject, type ScanError } from './sources/scanJsonObject';
export { CasbClient, type CasbClientOptions, type CasbEventsPage } from './sources/casbClient';
export { ProofpointCasbInitVariablesError, ProofpointCasbSetupError, RetryAfterError } from './sources/casbErrors';
export { ServiceStore, type ServiceStoreOptions } from './state/serviceStore';
export { StateFile, type StateFileOptions, type StateMigration } from './state/stateFile';
export { DedupJournal } from './state/dedupJournal';
export { DeadLetterFile, type DeadLetterFileOptions } from './state/deadLetterFile';
export { PullStats, formatPullStats, type PullStatsSnapshot } from './stats/pullStats';
// Stand-ins for tests and demos (the throwaway PKI, which needs node-forge, is in
// dist/lib/simulators/throwawayPki and is not loaded by this index).
export { DevoReceiver, type DevoReceiverOptions } from './simulators/devoReceiver';
export { PodSimulator, type PodSimulatorOptions } from './simulators/podSimulator';
export { CasbSimulator, type CasbSimulatorOptions } from './simulators/casbSimulator';
export { startCollector, type Collector, type RunnerDeps, type ServiceFactory } from '../pipelines/runner';
export { defaultServices } from '../pipelines/defaultServices';
export { podService, podServices, type PodServiceDeps, type PodTuning } from '../pipelines/pod';
export { casbService, casbServices, type CasbServiceDeps, type CasbTuning } from '../pipelines/casb';
export type { Service, PipelineDeps } from '../pipelines/service';
