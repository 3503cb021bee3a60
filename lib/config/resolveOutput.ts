import { hostname } from 'node:os';
import * as path from 'node:path';
import type { FileSetting, OutputConfig } from './collectorConfig';
import type { DevoPlatformSettings, OutputEntry, SyslogSettings } from './outputCodec';
import { SYSLOG_DEFAULT_PORT } from './outputTypes';
import { isSyslogHostname } from './scalarCodecs';
import { DEVO_BATCH_DEFAULTS, DEVO_IDLE_TIMEOUT_MS, DEVO_RECYCLE_AFTER_MS } from '../sinks/devoDefaults';

/**
 * Default period of the sender statistics traces, seconds: Devo's collector documents them
 * "every 10 minutes by default" (its SDK's own default is 300 s).
 */
export const SENDER_STATS_PERIOD_IN_SEC = 600;

/** What an output's resolution needs from the rest of the file. */
export interface OutputContext {
  /** `globals.sender_stats_period_in_sec`, which overrides each output's. */
  readonly senderStatsPeriodInSec?: number;
  /** Where relative `chain`, `cert` and `key` resolve. */
  readonly certsDir: string;
  /** The zlib level of a Devo output's gzip members, when globals switch compression on (`gzipContext`). */
  readonly gzipLevel?: number;
}

/**
 * One decoded entry of `outputs` with its defaults applied and its paths absolute, or the
 * problems that only show once it is decoded (each naming its setting). One output at a time,
 * so that a list of outputs is a map over this.
 *
 * @example
 * resolveOutput('relay_1', { type: 'syslog', config: { address: '10.0.0.5' } }, { certsDir: '/app/certs' });
 * // { output: { kind: 'syslog', address: '10.0.0.5', port: 13000, ... }, problems: [] }
 */
export function resolveOutput(name: string, entry: OutputEntry, context: OutputContext): { output?: OutputConfig; problems: string[] } {
  const problems: string[] = [];
  const prefix = `outputs.${name}.config`;
  const o = entry.config ?? {};
  if (o.hostname === undefined && !isSyslogHostname(hostname())) {
    problems.push(
      `${prefix}.hostname: this machine's name ${JSON.stringify(hostname())} cannot be a syslog HOSTNAME (1-255 printable ASCII characters, no space): set hostname`,
    );
  }
  const base = {
    name,
    type: entry.type,
    hostname: o.hostname ?? hostname(),
    batch: {
      maxEvents: o.batch_max_events ?? DEVO_BATCH_DEFAULTS.maxEvents,
      maxBytes: o.batch_max_bytes ?? DEVO_BATCH_DEFAULTS.maxBytes,
      maxDelayMs: o.batch_max_delay_ms ?? DEVO_BATCH_DEFAULTS.maxDelayMs,
    },
    senderStatsPeriodMs: (context.senderStatsPeriodInSec ?? o.period_sender_stats_in_seconds ?? SENDER_STATS_PERIOD_IN_SEC) * 1000,
  };
  const file = (setting: 'chain' | 'cert' | 'key', value: string): FileSetting => ({
    path: path.isAbsolute(value) ? value : path.resolve(context.certsDir, value),
    setting: `${prefix}.${setting}`,
  });
  const connection = (c: DevoPlatformSettings | SyslogSettings) => ({
    ...base,
    address: c.address,
    port: c.port ?? SYSLOG_DEFAULT_PORT,
    ...(c.key_passphrase === undefined ? {} : { keyPassphrase: c.key_passphrase }),
    idleTimeoutMs: c.idle_timeout_in_seconds === undefined ? DEVO_IDLE_TIMEOUT_MS : c.idle_timeout_in_seconds * 1000,
    recycleAfterMs: c.recycle_period_in_seconds === undefined ? DEVO_RECYCLE_AFTER_MS : c.recycle_period_in_seconds * 1000,
    insecureSkipServerVerification: c.insecure_skip_server_verification ?? false,
  });
  let output: OutputConfig;
  if (entry.type === 'devo_platform' || entry.type === 'relay') {
    const d = entry.config;
    const gzip = context.gzipLevel === undefined ? {} : { gzipLevel: context.gzipLevel };
    output = { ...connection(d), kind: 'devo', chain: file('chain', d.chain), cert: file('cert', d.cert), key: file('key', d.key), ...gzip };
  } else if (entry.type === 'in_house_relay' || entry.type === 'syslog' || entry.type === 'sidecar') {
    const s = entry.config;
    problems.push(...syslogProblems(prefix, entry.type, s));
    output = {
      ...connection(s),
      kind: 'syslog',
      ...(s.chain === undefined ? {} : { chain: file('chain', s.chain) }),
      ...(s.cert === undefined ? {} : { cert: file('cert', s.cert) }),
      ...(s.key === undefined ? {} : { key: file('key', s.key) }),
    };
  } else {
    output = { ...base, kind: 'console' };
  }
  return problems.length > 0 ? { problems } : { output, problems };
}

/** What a syslog output's certificate settings cannot be together. */
function syslogProblems(prefix: string, type: string, s: SyslogSettings): string[] {
  const problems: string[] = [];
  if ((s.cert === undefined) !== (s.key === undefined)) {
    problems.push(
      `${prefix}.${s.cert === undefined ? 'cert' : 'key'}: set cert and key together (a client certificate for a relay that asks for one), or neither`,
    );
  }
  if (s.chain === undefined && (s.cert !== undefined || s.key !== undefined)) {
    problems.push(
      `${prefix}.chain: a client certificate (cert, key) needs TLS: set chain, the CA chain that signs the relay's certificate (a ${type} output speaks TLS only with a chain)`,
    );
  }
  if (s.type === 'SSL' && s.chain === undefined) {
    problems.push(`${prefix}.type: SSL needs chain, the CA chain that signs the relay's certificate (or leave type out for plain TCP)`);
  }
  if (s.type === 'TCP' && s.chain !== undefined) problems.push(`${prefix}.type: TCP (plain) and a chain (TLS) contradict each other: remove one`);
  return problems;
}

/** Whether an output speaks TLS (Devo's always; a syslog output when it has a chain). */
export function isTlsOutput(output: OutputConfig): boolean {
  return output.kind === 'devo' || (output.kind === 'syslog' && output.chain !== undefined);
}
