import { stat } from 'node:fs/promises';
import type { FileSetting } from './collectorConfig';

/** Options of {@link keyFileModeWarning}. */
export interface KeyFileModeOptions {
  /** The user the collector runs as. Default: the process's. */
  readonly uid?: number;
}

/**
 * A warning when a private key file can be read by other users than the collector's (certs/README.md
 * says `chmod 600`): any permission for others, or for the group of a file the collector owns. A
 * group-readable file the collector does not own is how it reads a Kubernetes secret (root-owned,
 * `defaultMode: 0440`, `fsGroup`): no warning then. Undefined without a key (a plain or console output), when the mode is right, on Windows
 * (no POSIX modes), and when the file cannot be looked at (loading the key reports that one).
 *
 * @example
 * await keyFileModeWarning(config.output.kind === 'console' ? undefined : config.output.key);
 * // 'outputs.devo_1.config.key: the private key /app/certs/domain.key can be read by other users (mode 0644): run chmod 600 …'
 */
export async function keyFileModeWarning(key: FileSetting | undefined, options: KeyFileModeOptions = {}): Promise<string | undefined> {
  if (key === undefined) return undefined;
  const uid = options.uid ?? process.getuid?.();
  if (process.platform === 'win32' || uid === undefined) return undefined;
  let info: { mode: number; uid: number };
  try {
    info = await stat(key.path);
  } catch {
    return undefined;
  }
  const mode = info.mode & 0o777;
  const who = (mode & 0o007) !== 0 ? 'other users' : (mode & 0o070) !== 0 && info.uid === uid ? 'its group' : undefined;
  if (who === undefined) return undefined;
  return `${key.setting}: the private key ${key.path} can be read by ${who} (mode ${mode.toString(8).padStart(4, '0')}): run chmod 600 ${key.path} (only the collector's user should read it)`;
}
