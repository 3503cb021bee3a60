import * as path from 'node:path';
import type { CollectorConfig } from './collectorConfig';
import { ConfigError } from './configError';
import { decodeConfigTree } from './decodeConfigTree';
import { loadOutputCredentials } from './devoCredentials';
import { readConfigTree } from './readConfigTree';

/** Options of {@link loadConfig} and {@link decodeConfig}. */
export interface LoadConfigOptions {
  /** Values for `${NAME}` references. Default: none (the CLI passes `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where relative certificate paths resolve. Default `<baseDir>/certs`. */
  readonly certsDir?: string;
  /** Where a relative state directory resolves. Default: the current directory. */
  readonly baseDir?: string;
}

/**
 * Decodes an already parsed config tree (as `js-yaml` or `JSON.parse` gives it): `${ENV}`
 * substitution, io-ts decoding with unknown keys rejected, defaults and absolute paths. Does not
 * touch the file system. Throws one {@link ConfigError} listing every problem.
 *
 * @example
 * const config = decodeConfig(yaml.load(text), { env: process.env, source: 'inline' });
 */
export function decodeConfig(tree: unknown, options: LoadConfigOptions & { readonly source?: string } = {}): CollectorConfig {
  const source = options.source ?? 'config';
  const { config, problems } = decodeConfigTree(tree, {
    env: options.env ?? {},
    environment: true,
    source,
    baseDir: path.resolve(options.baseDir ?? '.'),
    ...(options.certsDir === undefined ? {} : { certsDir: options.certsDir }),
  });
  if (config === undefined || problems.length > 0) throw new ConfigError(source, problems);
  return config;
}

/**
 * Reads and checks a Devo-style `config.yaml`: YAML syntax, every setting (see
 * {@link decodeConfig}), and the Devo certificate files (present, parseable, valid now, key
 * matching). Throws one {@link ConfigError} listing every problem, or `CONFIG_UNREADABLE`.
 *
 * @example
 * const config = await loadConfig('config/config.yaml', { env: process.env });
 */
export async function loadConfig(file: string, options: LoadConfigOptions = {}): Promise<CollectorConfig> {
  const config = decodeConfig(await readConfigTree(file), { ...options, source: file });
  const { problems } = await loadOutputCredentials(config.outputs);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return config;
}
