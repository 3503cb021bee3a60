import * as t from 'io-ts';
import { OUTPUT_TYPES, OUTPUT_TYPE_NAMES, type OutputType } from './outputTypes';
import { Bool, NonEmptyString, NonNegativeInt, OneOf, Port, PositiveInt, PositiveNumber, Secret, SyslogHostname } from './scalarCodecs';
import { strictStruct } from './strictStruct';

/** Settings of every output: the syslog header, the batches, the statistics traces. */
const LINE_SETTINGS = {
  hostname: SyslogHostname,
  batch_max_events: PositiveInt,
  batch_max_bytes: PositiveInt,
  batch_max_delay_ms: PositiveInt,
  period_sender_stats_in_seconds: PositiveInt,
};

/** Settings of the outputs with a connection (accepted, for Devo's, so that Devo's configs validate). */
const CONNECTION_SETTINGS = {
  key_passphrase: Secret,
  idle_timeout_in_seconds: PositiveInt,
  recycle_period_in_seconds: PositiveInt,
  insecure_skip_server_verification: Bool,
  connecting_retries: NonNegativeInt,
  connecting_initial_wait_in_seconds: PositiveNumber,
  connecting_max_wait_in_seconds: PositiveNumber,
  sending_timeout: PositiveNumber,
  sending_retries: NonNegativeInt,
  sending_initial_wait_in_seconds: PositiveNumber,
  sending_max_wait_in_seconds: PositiveNumber,
  concurrent_connections: PositiveInt,
};

/** `devo_platform`, `relay`: mutual TLS, refused without chain, cert and key. */
const DevoPlatformConfig = strictStruct(
  'a mapping with address, port, type, chain, cert and key',
  { address: NonEmptyString, port: Port, type: OneOf('SSL'), chain: NonEmptyString, cert: NonEmptyString, key: NonEmptyString },
  { ...LINE_SETTINGS, ...CONNECTION_SETTINGS },
);

/** `in_house_relay`, `syslog`, `sidecar`: plain TCP, or TLS with a chain (cert and key optional then). */
const SyslogConfig = strictStruct(
  'a mapping with address (and port, chain, cert, key)',
  { address: NonEmptyString },
  { port: Port, type: OneOf('SSL', 'TCP'), chain: NonEmptyString, cert: NonEmptyString, key: NonEmptyString, ...LINE_SETTINGS, ...CONNECTION_SETTINGS },
);

/** `console`, `stdout`: nothing to connect to. */
const ConsoleConfig = strictStruct('a mapping (may be empty: {})', {}, LINE_SETTINGS);

/** The decoded settings of a TLS output. */
export type DevoPlatformSettings = t.TypeOf<typeof DevoPlatformConfig>;
/** The decoded settings of a syslog output. */
export type SyslogSettings = t.TypeOf<typeof SyslogConfig>;
/** The decoded settings of a console output. */
export type ConsoleSettings = t.TypeOf<typeof ConsoleConfig>;

/** One decoded output of the file: its type and the settings of that type. */
export type OutputEntry =
  | { readonly type: 'devo_platform' | 'relay'; readonly config: DevoPlatformSettings }
  | { readonly type: 'in_house_relay' | 'syslog' | 'sidecar'; readonly config: SyslogSettings }
  | { readonly type: 'console' | 'stdout'; readonly config?: ConsoleSettings };

/** Devo's other spellings of a setting, renamed to ours before decoding (API-NOTES "Devo outputs"). */
const ALIASES: ReadonlyArray<readonly [string, string]> = [
  ['url', 'address'],
  ['location', 'address'],
  ['chain_loc', 'chain'],
  ['cert_loc', 'cert'],
  ['key_loc', 'key'],
];

const TYPE = OneOf(...OUTPUT_TYPE_NAMES);

function isMapping(u: unknown): u is Record<string, unknown> {
  return typeof u === 'object' && u !== null && !Array.isArray(u);
}

/** Renames Devo's spellings; a setting given twice (`address` and `url`) is an error naming both. */
function renameAliases(config: Record<string, unknown>, c: t.Context): { value: Record<string, unknown>; errors: t.Errors } {
  const value: Record<string, unknown> = { ...config };
  const errors: t.Errors = [];
  for (const [alias, name] of ALIASES) {
    if (value[alias] === undefined || value[alias] === null) continue;
    if (value[name] !== undefined && value[name] !== null) {
      errors.push({
        value: value[alias],
        context: t.appendContext(c, alias, t.unknown, value[alias]),
        message: `set either ${name} or ${alias}, not both (${alias} is Devo's other spelling of ${name})`,
      });
      delete value[alias];
      continue;
    }
    value[name] = value[alias];
    delete value[alias];
  }
  return { value, errors };
}

function configCodec(type: OutputType): t.Type<Record<string, unknown>, Record<string, unknown>, unknown> {
  const kind = OUTPUT_TYPES[type];
  return (kind === 'devo' ? DevoPlatformConfig : kind === 'syslog' ? SyslogConfig : ConsoleConfig) as unknown as t.Type<
    Record<string, unknown>,
    Record<string, unknown>,
    unknown
  >;
}

/**
 * One entry of `outputs`: `type` (one of Devo's seven, see {@link OUTPUT_TYPES}) and the
 * `config` of that type, with Devo's spellings (`url`, `location`, `*_loc`) renamed first. An
 * unknown type names the valid ones; `config` may be left out for `console` and `stdout`.
 */
export const Output = new t.Type<OutputEntry, OutputEntry, unknown>(
  'a mapping with type and config',
  (u): u is OutputEntry => isMapping(u) && typeof u['type'] === 'string',
  (u, c) => {
    if (!isMapping(u)) return t.failure(u, c);
    const errors: t.Errors = [];
    for (const key of Object.keys(u)) {
      if (key !== 'type' && key !== 'config') {
        errors.push({ value: u[key], context: t.appendContext(c, key, t.unknown, u[key]), message: 'unknown setting (expected one of: type, config)' });
      }
    }
    const type = TYPE.validate(u['type'], t.appendContext(c, 'type', TYPE, u['type']));
    if (type._tag === 'Left') return t.failures([...type.left, ...errors]);
    const raw = u['config'];
    const codec = configCodec(type.right);
    const where = t.appendContext(c, 'config', codec, raw);
    if ((raw === undefined || raw === null) && OUTPUT_TYPES[type.right] === 'console') {
      return errors.length > 0 ? t.failures(errors) : t.success({ type: type.right } as OutputEntry);
    }
    if (!isMapping(raw)) return t.failures([...errors, { value: raw, context: where }]);
    const renamed = renameAliases(raw, where);
    const config = codec.validate(renamed.value, where);
    if (config._tag === 'Left') errors.push(...config.left);
    errors.push(...renamed.errors);
    if (errors.length > 0 || config._tag === 'Left') return t.failures(errors);
    return t.success({ type: type.right, config: config.right } as OutputEntry);
  },
  t.identity,
);
