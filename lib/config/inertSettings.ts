import type { Logger } from '../log/logger';
import type { CollectorConfig, InertSetting } from './collectorConfig';
import type { ConfigFile } from './configFile';
import { compressionInertReason } from './gzipCompression';

const ONE_THREAD =
  'globals.multiprocessing alone decides: false, one thread and one Devo connection for every service; true, one of each per PoD service and per CASB input';
const RECONNECT = 'a lost connection is replaced with capped exponential backoff and jitter, with no limit of tries';
const RESEND = 'a batch counts as delivered only once the relay confirmed reading it, and is written again on the next connection until then';

/** Why a setting has no effect here; a function when that depends on the rest of the file (undefined: it has one). */
type Reason = string | ((file: ConfigFile) => string | undefined);

const compression =
  (key: string): Reason =>
  (file) =>
    compressionInertReason(key, file.globals, file.outputs);

/** Settings of Devo's `globals` that have no effect here, and why. */
const GLOBALS: Readonly<Record<string, Reason>> = {
  queue_max_elapsed_time_in_sec: 'batches are cut by count, bytes and delay (outputs.<name>.config.batch_max_events, batch_max_bytes, batch_max_delay_ms)',
  queue_wrap_max_size_in_messages: 'batches are cut by count, bytes and delay (outputs.<name>.config.batch_max_events, batch_max_bytes, batch_max_delay_ms)',
  queue_generate_metrics: 'this collector has no internal queue to report on',
  sender_concurrent_connections: ONE_THREAD,
  sender_activate_final_queue: RESEND,
  generate_collector_details: 'no collector details are sent to Devo',
  max_consumers_for_multiprocessing: ONE_THREAD,
  max_consumers_for_multithreading: ONE_THREAD,
  devo_sender_threshold_for_using_gzip_in_transport_layer: compression('devo_sender_threshold_for_using_gzip_in_transport_layer'),
  devo_sender_compression_level: compression('devo_sender_compression_level'),
  devo_sender_compression_buffer_in_bytes: compression('devo_sender_compression_buffer_in_bytes'),
};

/** Settings of Devo's outputs that have no effect here, and why. */
const OUTPUT: Readonly<Record<string, string>> = {
  connecting_retries: RECONNECT,
  connecting_initial_wait_in_seconds: RECONNECT,
  connecting_max_wait_in_seconds: RECONNECT,
  sending_timeout: RESEND,
  sending_retries: RESEND,
  sending_initial_wait_in_seconds: RESEND,
  sending_max_wait_in_seconds: RESEND,
  concurrent_connections: ONE_THREAD,
};

/** Settings of Devo's inputs that have no effect on the PoD input, and why. */
const POD_INPUT: Readonly<Record<string, string>> = {
  requests_per_second: 'PoD is one websocket session per service, not a series of requests (period_in_seconds spaces the sessions)',
  requests_limits: 'PoD is one websocket session per service, not a series of requests (period_in_seconds spaces the sessions)',
};

function present(prefix: string, mapping: object, table: Readonly<Record<string, Reason>>, file: ConfigFile): InertSetting[] {
  return Object.entries(mapping).flatMap(([key, value]) => {
    const why = value === undefined || !Object.hasOwn(table, key) ? undefined : table[key]!;
    const reason = typeof why === 'function' ? why(file) : why;
    return reason === undefined ? [] : [{ path: `${prefix}.${key}`, reason }];
  });
}

/**
 * The settings of a decoded config file that are accepted for compatibility with Devo's collector
 * but have no effect here, in file order, each with the reason. An output's
 * `period_sender_stats_in_seconds` is one of them when `globals.sender_stats_period_in_sec`
 * overrides it, as Devo's SDK does.
 *
 * @example
 * findInertSettings(file); // [{ path: 'globals.queue_wrap_max_size_in_messages', reason: 'batches are cut by …' }]
 */
export function findInertSettings(file: ConfigFile): InertSetting[] {
  const settings = present('globals', file.globals, GLOBALS, file);
  for (const [name, output] of Object.entries(file.outputs)) {
    const prefix = `outputs.${name}.config`;
    const config: { readonly period_sender_stats_in_seconds?: number } = output.config ?? {};
    settings.push(...present(prefix, config, OUTPUT, file));
    if (config.period_sender_stats_in_seconds !== undefined && file.globals.sender_stats_period_in_sec !== undefined) {
      settings.push({ path: `${prefix}.period_sender_stats_in_seconds`, reason: "globals.sender_stats_period_in_sec overrides it, as in Devo's collector" });
    }
  }
  const pod = file.inputs.proofpoint_on_demand;
  if (pod !== undefined) settings.push(...present('inputs.proofpoint_on_demand', pod, POD_INPUT, file));
  return settings;
}

/**
 * Logs, as warnings, one line per setting of the config that is accepted for compatibility with
 * Devo's collector but has no effect here, naming it and saying why, so that a Devo user knows
 * which of their settings this collector ignores. Called once at start by the CLI's `run`.
 *
 * @returns the lines logged
 *
 * @example
 * logInertSettings(config, logger);
 * // WARN … globals.queue_wrap_max_size_in_messages is accepted for compatibility with Devo's collector but has no effect here: …
 */
export function logInertSettings(config: CollectorConfig, logger: Logger): readonly string[] {
  const lines = inertSettingLines(config);
  for (const line of lines) logger.warn(line);
  return lines;
}

/**
 * The lines of {@link logInertSettings}, without logging them (`validate` prints them).
 *
 * @example
 * inertSettingLines(config); // ["globals.queue_wrap_max_size_in_messages is accepted for compatibility with Devo's collector but …"]
 */
export function inertSettingLines(config: CollectorConfig): string[] {
  return config.inertSettings.map(
    (s) => `${s.path} is accepted for compatibility with Devo's collector but has no effect here: ${s.reason.replace('<name>', config.output.name)}`,
  );
}
