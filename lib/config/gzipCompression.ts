import type { ConfigFile } from './configFile';

/** Default of `globals.devo_sender_threshold_for_using_gzip_in_transport_layer`: Devo's, never (a queue's usage is never above 1). */
export const GZIP_THRESHOLD_DEFAULT = 1.1;
/** Default of `globals.devo_sender_compression_level` (zlib's, and Devo's). */
export const GZIP_LEVEL_DEFAULT = 6;

type Globals = ConfigFile['globals'];
type Outputs = ConfigFile['outputs'];

const THRESHOLD = 'devo_sender_threshold_for_using_gzip_in_transport_layer';

/** Whether the threshold compresses: below 0 always (Devo's SDK), and from 0 to 1 too (see {@link compressionInertReason}). */
function compresses(globals: Globals): boolean {
  return (globals.devo_sender_threshold_for_using_gzip_in_transport_layer ?? GZIP_THRESHOLD_DEFAULT) <= 1;
}

/** Only Devo's own relays (`devo_platform`, `relay`) inflate gzip members; a syslog relay or standard output reads plain lines. */
function isDevoType(type: string): boolean {
  return type === 'devo_platform' || type === 'relay';
}

/**
 * The compression of a `devo_platform` or `relay` output, from `globals`, for `resolveOutput`:
 * `{ gzipLevel }` when each batch goes as one gzip member, `{}` when lines go as they are.
 *
 * @example
 * gzipContext({ id: '1', name: 'c', devo_sender_threshold_for_using_gzip_in_transport_layer: -1 }); // { gzipLevel: 6 }
 */
export function gzipContext(globals: Globals): { gzipLevel?: number } {
  return compresses(globals) ? { gzipLevel: globals.devo_sender_compression_level ?? GZIP_LEVEL_DEFAULT } : {};
}

/**
 * Why a compression setting of `globals` has no effect (or not the effect Devo gives it) with
 * these outputs, or undefined when it does what it says: the warning `run` logs once at start.
 * A threshold from 0 to 1 is Devo's queue-usage fraction; here it compresses every batch, as a
 * value below 0 does: this collector's sender has no queue like the SDK's to measure (the backlog
 * waits at the sources, held back by `queue_max_size_in_*`), and compressing some batches only
 * would mix plain lines and gzip members on one connection.
 *
 * @example
 * compressionInertReason('devo_sender_compression_level', globals, outputs); // 'globals.devo_sender_threshold_… is above 1 …'
 */
export function compressionInertReason(key: string, globals: Globals, outputs: Outputs): string | undefined {
  const entries = Object.entries(outputs);
  const devo = entries.filter(([, o]) => isDevoType(o.type));
  const plain = entries.filter(([, o]) => !isDevoType(o.type));
  const named = (list: typeof entries) => list.map(([name, o]) => `outputs.${name} (type ${o.type})`).join(', ');
  if (key === 'devo_sender_compression_buffer_in_bytes') {
    return 'each batch is compressed as one gzip member, so its size is outputs.<name>.config.batch_max_bytes';
  }
  if (!compresses(globals)) {
    return key === THRESHOLD
      ? undefined
      : `globals.${THRESHOLD} is above 1 (${GZIP_THRESHOLD_DEFAULT} when not set, as in Devo's SDK), so nothing is compressed`;
  }
  const reasons: string[] = [];
  if (plain.length > 0) reasons.push(`on ${named(plain)}: only devo_platform and relay outputs compress (a syslog relay and standard output get plain lines)`);
  const threshold = globals.devo_sender_threshold_for_using_gzip_in_transport_layer;
  if (key === THRESHOLD && threshold !== undefined && threshold >= 0 && devo.length > 0) {
    reasons.push(
      `as a fraction of the sender queue's usage; any value up to 1 compresses every batch of ${named(devo)}, as a value below 0 does (this sender has no queue like the SDK's to measure: the backlog waits at the sources, held by queue_max_size_in_*; and compressing some batches only would mix plain lines and gzip members on one connection)`,
    );
  }
  if (key !== THRESHOLD && devo.length > 0) return undefined;
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}
