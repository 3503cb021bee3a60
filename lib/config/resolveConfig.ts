import * as path from 'node:path';
import type { CasbInputConfig, CasbServiceName, CollectorConfig, OutputConfig, PodInputConfig, PodServiceName } from './collectorConfig';
import { CASB_MAX_RESPONSE_BYTES } from '../sources/casbClientOptions';
import type { ConfigFile } from './configFile';
import { gzipContext } from './gzipCompression';
import { findInertSettings } from './inertSettings';
import { resolveOutput } from './resolveOutput';

/** Where relative paths of a config file point. */
export interface ConfigPaths {
  /** The file (for messages). */
  readonly source: string;
  /** Relative `chain`, `cert` and `key` resolve under this directory. */
  readonly certsDir: string;
  /** A relative state directory resolves under this directory. */
  readonly baseDir: string;
}

/** Default PoD Log API endpoint. */
export const POD_URL_BASE = 'wss://logstream.proofpoint.com:443';
/** Default CASB API endpoint. */
export const CASB_URL_BASE = 'https://api.protect.proofpoint.com';

/**
 * Default memory bound of a service's 1-hour de-dup window, MiB: about 1.2 million keys, an
 * hour of 340 events/s (a busy tenant's maillog). Memory is only taken as keys arrive.
 */
export const DEDUP_MAX_SIZE_IN_MB = 256;

/**
 * Default of a PoD service's `max_event_size_in_mb` (range 1-128, the largest frame the PoD
 * source reads): bigger than any real event, small enough that a frame costs a worker little.
 */
export const POD_MAX_EVENT_SIZE_IN_MB = 32;

/** Default of `globals.queue_max_size_in_messages`: Devo's bound of its internal queue, in events. */
export const QUEUE_MAX_SIZE_IN_MESSAGES = 10_000;
/** Default of `globals.queue_max_size_in_mb`: Devo's bound of its internal queue, in MiB. */
export const QUEUE_MAX_SIZE_IN_MB = 1024;

export { SENDER_STATS_PERIOD_IN_SEC } from './resolveOutput';

const MIB = 1024 * 1024;

const CASB_TAGS: Record<CasbServiceName, string> = { alerts: 'casb.proofpoint.alert', events: 'casb.proofpoint.event' };

/**
 * Applies the defaults to a decoded config file and makes its paths absolute. Returns the
 * problems that only show once the file is decoded (such as a wrong number of outputs).
 */
export function resolveConfig(file: ConfigFile, paths: ConfigPaths): { config?: CollectorConfig; problems: string[] } {
  const problems: string[] = [];
  const entries = Object.entries(file.outputs);
  if (entries.length === 0) {
    problems.push('outputs: expected at least one output (e.g. devo_1), got none');
    return { problems };
  }
  const context = {
    certsDir: paths.certsDir,
    ...gzipContext(file.globals),
    ...(file.globals.sender_stats_period_in_sec === undefined ? {} : { senderStatsPeriodInSec: file.globals.sender_stats_period_in_sec }),
  };
  const outputs: OutputConfig[] = [];
  for (const [outputName, entry] of entries) {
    const resolved = resolveOutput(outputName, entry, context);
    problems.push(...resolved.problems);
    if (resolved.output !== undefined) outputs.push(resolved.output);
    if (entry.type === 'console' || entry.type === 'stdout') {
      if (file.globals.multiprocessing === true) {
        // A worker's standard output reaches the process's through the main thread, without a write callback for the real write: lines could be committed unwritten.
        problems.push(
          `globals.multiprocessing: true cannot be used with outputs.${outputName} (type ${entry.type}): worker threads reach standard output only through the main thread, which could not confirm their lines; set multiprocessing: false (one thread easily keeps up with a console)`,
        );
      }
    }
  }
  problems.push(...sharedLineProblems(outputs), ...standardOutputProblems(outputs));
  const g = file.globals;
  const maxMessages = g.queue_max_size_in_messages ?? QUEUE_MAX_SIZE_IN_MESSAGES;
  if (g.queue_wrap_max_size_in_messages !== undefined && g.queue_wrap_max_size_in_messages >= maxMessages) {
    problems.push(
      `globals.queue_wrap_max_size_in_messages: expected a number below globals.queue_max_size_in_messages (${maxMessages}), got ${g.queue_wrap_max_size_in_messages}`,
    );
  }

  const directory = file.globals.persistence?.config.directory_name ?? 'state';
  const config: CollectorConfig = {
    source: paths.source,
    collector: {
      id: file.globals.id,
      name: file.globals.name,
      debug: file.globals.debug ?? false,
      multiprocessing: file.globals.multiprocessing ?? false,
    },
    stateDirectory: path.resolve(paths.baseDir, directory),
    ...optional(
      'httpServer',
      g.http_server === undefined
        ? undefined
        : {
            address: g.http_server.address ?? '127.0.0.1',
            port: g.http_server.port,
            ...(g.http_server.allowed_hosts === undefined ? {} : { allowedHosts: g.http_server.allowed_hosts }),
          },
    ),
    output: outputs[0]!,
    outputs,
    balancedOutput: g.balanced_output ?? false,
    ...optional('pod', resolvePod(file)),
    ...optional('casb', resolveCasb(file)),
    inFlight: { maxEvents: maxMessages, maxBytes: (g.queue_max_size_in_mb ?? QUEUE_MAX_SIZE_IN_MB) * MIB },
    inertSettings: findInertSettings(file),
  };
  return problems.length > 0 || outputs.length !== entries.length ? { problems } : { config, problems };
}

/**
 * Several outputs share each event's line (built once, its bytes handed to every output): they
 * must agree on the syslog HOSTNAME in it. The first output's batches cut the lines for all.
 */
function sharedLineProblems(outputs: readonly OutputConfig[]): string[] {
  const first = outputs[0];
  if (first === undefined) return [];
  return outputs
    .filter((o) => o.hostname !== first.hostname)
    .map(
      (o) =>
        `outputs.${o.name}.config.hostname: ${JSON.stringify(o.hostname)} differs from outputs.${first.name}'s ${JSON.stringify(first.hostname)}: every output gets the same line per event, so set the same hostname on each (or on none)`,
    );
}

/**
 * Standard output is one stream: two `console`/`stdout` outputs would write every line to it
 * twice (and with `globals.balanced_output`, split it between two writers that add nothing).
 */
function standardOutputProblems(outputs: readonly OutputConfig[]): string[] {
  const consoles = outputs.filter((o) => o.kind === 'console');
  if (consoles.length < 2) return [];
  const named = consoles.map((o) => `outputs.${o.name} (type ${o.type})`).join(', ');
  return [`${named}: all write to the collector's standard output, which would get every line once per output: keep one of them`];
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function resolvePod(file: ConfigFile): PodInputConfig | undefined {
  const input = file.inputs.proofpoint_on_demand;
  if (input === undefined) return undefined;
  const names: PodServiceName[] = ['message', 'maillog', 'audit'];
  return {
    inputId: input.id,
    enabled: input.enabled ?? true,
    clusterId: input.credentials.cluster_id,
    apiToken: input.credentials.api_token,
    services: names.flatMap((name) => {
      const s = input.services[name];
      if (s === undefined) return [];
      return [
        {
          name,
          periodMs: (s.period_in_seconds ?? 60) * 1000,
          tag: s.override_tag_base ?? `mail.proofpoint.pod.${name}`,
          urlBase: s.override_url_base ?? input.override_url_base ?? POD_URL_BASE,
          dedupMaxBytes: (s.dedup_max_size_in_mb ?? DEDUP_MAX_SIZE_IN_MB) * MIB,
          ...(s.dedup_max_keys === undefined ? {} : { dedupMaxKeys: s.dedup_max_keys }),
          maxEventBytes: (s.max_event_size_in_mb ?? POD_MAX_EVENT_SIZE_IN_MB) * MIB,
          ...(s.start_time === undefined ? {} : { startTime: s.start_time }),
        },
      ];
    }),
  };
}

function resolveCasb(file: ConfigFile): CasbInputConfig | undefined {
  const input = file.inputs.proofpoint_casb;
  if (input === undefined) return undefined;
  const names: CasbServiceName[] = ['alerts', 'events'];
  return {
    inputId: input.id,
    enabled: input.enabled ?? true,
    apiKey: input.credentials.api_key,
    clientId: input.credentials.client_id,
    clientSecret: input.credentials.client_secret,
    urlBase: input.override_url_base ?? CASB_URL_BASE,
    requestsPerSecond: input.requests_per_second ?? 1,
    requestsLimits: (input.requests_limits ?? []).map((l) => ({ periodMs: l.period * 1000, requests: l.number_of_requests })),
    maxResponseBytes: input.max_response_size_in_mb === undefined ? CASB_MAX_RESPONSE_BYTES : input.max_response_size_in_mb * MIB,
    services: names.flatMap((name) => {
      const s = input.services[name];
      if (s === undefined) return [];
      return [
        {
          name,
          requestPeriodMs: (s.request_period_in_seconds ?? 600) * 1000,
          dedupMaxBytes: (s.dedup_max_size_in_mb ?? DEDUP_MAX_SIZE_IN_MB) * MIB,
          tag: s.override_tag_base ?? CASB_TAGS[name],
          ...(s.initial_start_time_in_utc === undefined ? {} : { initialStartTime: s.initial_start_time_in_utc }),
        },
      ];
    }),
  };
}
