import { CollectorError } from '../errors/collectorError';

/**
 * A config file that cannot be used, with every problem found, one line each
 * (`path: expected …, got …`). Secrets are never part of a problem line.
 */
export class ConfigError extends CollectorError {
  override readonly name = 'ConfigError';

  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super('CONFIG_INVALID', `Invalid configuration in ${source} (${problems.length} problem(s)):\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}
