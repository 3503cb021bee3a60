/**
 * What each output `type` of Devo's collector SDK sends to (its `outputs/__init__.py`):
 * `devo`, syslog over mutual TLS to Devo (`devo_platform`, `relay`); `syslog`, one RFC 3164 line
 * per event over TCP to a syslog relay such as Devo's In-House Relay (`in_house_relay`, `syslog`,
 * `sidecar`; TLS when a `chain` is given); `console`, each line to standard output
 * (`console`, `stdout`).
 *
 * @example
 * OUTPUT_TYPES.sidecar; // 'syslog'
 */
export const OUTPUT_TYPES = {
  devo_platform: 'devo',
  relay: 'devo',
  in_house_relay: 'syslog',
  syslog: 'syslog',
  sidecar: 'syslog',
  console: 'console',
  stdout: 'console',
} as const;

/** An output `type` as a config file writes it. */
export type OutputType = keyof typeof OUTPUT_TYPES;

/** What an output sends to (see {@link OUTPUT_TYPES}). */
export type OutputKind = (typeof OUTPUT_TYPES)[OutputType];

/** Every output type, in Devo's order (for "expected one of" messages). */
export const OUTPUT_TYPE_NAMES = Object.keys(OUTPUT_TYPES) as OutputType[];

/** Default port of a syslog output: the Devo In-House Relay's port for events that are already tagged. */
export const SYSLOG_DEFAULT_PORT = 13000;
