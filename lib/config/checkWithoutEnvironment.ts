import * as path from 'node:path';
import type { CollectorConfig } from './collectorConfig';
import { ConfigError } from './configError';
import { decodeConfigTree } from './decodeConfigTree';
import { readConfigTree } from './readConfigTree';

/** Options of {@link checkWithoutEnvironment}. */
export interface CheckWithoutEnvironmentOptions {
  /** Where relative certificate paths resolve. Default `<baseDir>/certs`. */
  readonly certsDir?: string;
  /** Where a relative state directory resolves. Default: the current directory. */
  readonly baseDir?: string;
}

/** What {@link checkWithoutEnvironment} could check. */
export interface CheckWithoutEnvironmentResult {
  /**
   * The config with the `${NAME}` references left as written, when every setting it needs could
   * be decoded without them (not for running: its secrets are the references' text).
   */
  readonly config?: CollectorConfig;
  /** Paths of the settings that hold `${NAME}` references: checked for syntax only. */
  readonly references: readonly string[];
}

/**
 * Checks a config file without its environment, for users' CI (as `vector validate
 * --no-environment` does): YAML syntax, every setting, ranges and unknown keys as
 * {@link loadConfig} does, but `${NAME}` references are checked for syntax only (a setting
 * holding one is not type-checked, its value being known only where the collector runs) and the
 * certificate files are not read. Throws one {@link ConfigError} listing every problem, or
 * `CONFIG_UNREADABLE`.
 *
 * @example
 * const { references } = await checkWithoutEnvironment('config/config.yaml');
 */
export async function checkWithoutEnvironment(file: string, options: CheckWithoutEnvironmentOptions = {}): Promise<CheckWithoutEnvironmentResult> {
  const { config, problems, references } = decodeConfigTree(await readConfigTree(file), {
    env: {},
    environment: false,
    source: file,
    baseDir: path.resolve(options.baseDir ?? '.'),
    ...(options.certsDir === undefined ? {} : { certsDir: options.certsDir }),
  });
  if (problems.length > 0) throw new ConfigError(file, problems);
  return { ...(config === undefined ? {} : { config }), references };
}
