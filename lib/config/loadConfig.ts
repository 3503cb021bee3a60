import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { CollectorError, errorMessage } from '../errors/collectorError';
import type { CollectorConfig } from './collectorConfig';
import { ConfigError } from './configError';
import { ConfigFile } from './configFile';
import { loadDevoCredentials } from './devoCredentials';
import { formatValidationErrors } from './formatValidationErrors';
import { resolveConfig } from './resolveConfig';
import { substituteEnv } from './substituteEnv';

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
  const baseDir = path.resolve(options.baseDir ?? '.');
  const { value, missing, tooDeep } = substituteEnv(tree, options.env ?? {});
  if (tooDeep !== undefined) throw new ConfigError(source, [`${tooDeep || '(top level)'}: nested deeper than any setting (a YAML alias that refers to itself?)`]);
  const problems = missing.map((m) => `${m.path}: environment variable ${m.name} is not set`);
  const decoded = ConfigFile.decode(value);
  if (decoded._tag === 'Left') problems.push(...formatValidationErrors(decoded.left));
  if (problems.length > 0 || decoded._tag === 'Left') throw new ConfigError(source, problems);
  const resolved = resolveConfig(decoded.right, {
    source,
    baseDir,
    certsDir: path.resolve(baseDir, options.certsDir ?? 'certs'),
  });
  if (resolved.config === undefined || resolved.problems.length > 0) throw new ConfigError(source, resolved.problems);
  return resolved.config;
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
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CollectorError('CONFIG_UNREADABLE', `Cannot read the config file ${file}: ${errorMessage(err)} (check --config)`, { cause: err });
  }
  let tree: unknown;
  try {
    tree = yaml.load(text, { filename: file, schema: yaml.CORE_SCHEMA });
  } catch (err) {
    const e = err as { mark?: { line: number; column: number }; reason?: string };
    const where = e.mark === undefined ? file : `${file}:${e.mark.line + 1}:${e.mark.column + 1}`;
    throw new ConfigError(file, [`${where}: not valid YAML: ${e.reason ?? errorMessage(err)}`]);
  }
  const config = decodeConfig(tree, { ...options, source: file });
  const { problems } = await loadDevoCredentials(config.output);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return config;
}
