import { readFile } from 'node:fs/promises';
import * as yaml from 'js-yaml';
import { CollectorError, errorMessage } from '../errors/collectorError';
import { ConfigError } from './configError';

/**
 * Reads a config file and parses its YAML (the core schema: no dates, no custom tags; duplicate
 * keys are errors). Throws `CONFIG_UNREADABLE` naming `--config`, or a {@link ConfigError} with
 * the line and column of a syntax error.
 *
 * @example
 * const tree = await readConfigTree('config/config.yaml');
 */
export async function readConfigTree(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CollectorError('CONFIG_UNREADABLE', `Cannot read the config file ${file}: ${errorMessage(err)} (check --config)`, { cause: err });
  }
  try {
    return yaml.load(text, { filename: file, schema: yaml.CORE_SCHEMA });
  } catch (err) {
    const e = err as { mark?: { line: number; column: number }; reason?: string };
    const where = e.mark === undefined ? file : `${file}:${e.mark.line + 1}:${e.mark.column + 1}`;
    throw new ConfigError(file, [`${where}: not valid YAML: ${e.reason ?? errorMessage(err)}`]);
  }
}
