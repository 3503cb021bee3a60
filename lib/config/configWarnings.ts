import type { CollectorConfig } from './collectorConfig';
import { findCleartextUrls } from './cleartextWarnings';
import { inertSettingLines } from './inertSettings';
import { keyFileModeWarning } from './keyFileMode';
import { outputKey } from './devoCredentials';

/**
 * Every warning a valid config earns, in the order `run` logs them at start: each setting without
 * effect here, each cleartext PoD or CASB URL, and a private key other users can read (unless
 * `files` is false: `validate --no-environment` does not look at the certificate files). Used by
 * `validate`, which prints what `run` would warn about.
 *
 * @example
 * for (const line of await configWarnings(config)) console.error(line);
 */
export async function configWarnings(config: CollectorConfig, options: { readonly files?: boolean } = {}): Promise<string[]> {
  const keys = options.files === false ? [] : await Promise.all(config.outputs.map((o) => keyFileModeWarning(outputKey(o))));
  return [...inertSettingLines(config), ...findCleartextUrls(config), ...keys.filter((k): k is string => k !== undefined)];
}
