import * as path from 'node:path';
import type * as t from 'io-ts';
import type { CollectorConfig } from './collectorConfig';
import { ConfigFile } from './configFile';
import { contextPath, formatValidationErrors, isSecretSetting } from './formatValidationErrors';
import { resolveConfig } from './resolveConfig';
import { substituteEnv } from './substituteEnv';

/** Options of {@link decodeConfigTree}. */
export interface DecodeConfigTreeOptions {
  /** Values for `${NAME}` references. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * `false`: check `${NAME}` references for syntax only, without the environment; a setting whose
   * value holds one is not type-checked (its value is known only where the collector runs).
   */
  readonly environment: boolean;
  /** For messages. */
  readonly source: string;
  /** Where a relative state directory resolves. */
  readonly baseDir: string;
  /** Where relative certificate paths resolve (default `<baseDir>/certs`). */
  readonly certsDir?: string;
}

/** What {@link decodeConfigTree} made of a tree. */
export interface DecodedConfigTree {
  /** The config, when every setting it needs could be decoded. */
  readonly config?: CollectorConfig;
  /** One line per problem; empty when the tree is valid. */
  readonly problems: readonly string[];
  /** Paths of the settings that hold `${NAME}` references. */
  readonly references: readonly string[];
}

/**
 * Decodes a parsed config tree: `${ENV}` substitution (or, without the environment, a syntax
 * check of the references), io-ts decoding with unknown keys rejected, cross-setting checks,
 * defaults and absolute paths. Does not touch the file system and does not throw for a bad
 * config: every problem is a line of the result.
 *
 * @example
 * const { config, problems } = decodeConfigTree(tree, { env: process.env, environment: true, source: 'config.yaml', baseDir: '.' });
 */
export function decodeConfigTree(tree: unknown, options: DecodeConfigTreeOptions): DecodedConfigTree {
  const substituted = substituteEnv(tree, options.env, { resolve: options.environment });
  const references = [...new Set(substituted.references.map((r) => r.path))];
  if (substituted.tooDeep !== undefined) {
    return { problems: [`${substituted.tooDeep || '(top level)'}: nested deeper than any setting (a YAML alias that refers to itself?)`], references };
  }
  const problems = [
    ...substituted.malformed.map(
      (m) =>
        `${m.path}: malformed reference${isSecretSetting(m.path) ? '' : ` "${m.text}"`}: write \${NAME} (letters, digits and _, not starting with a digit), or $\${ for a literal \${`,
    ),
    ...substituted.missing.map((m) => `${m.path}: environment variable ${m.name} is not set`),
  ];
  const emptyVariables = new Map<string, string[]>();
  for (const e of substituted.empty) emptyVariables.set(e.path, [...(emptyVariables.get(e.path) ?? []), e.name]);
  const decoded = ConfigFile.decode(substituted.value);
  if (decoded._tag === 'Left') {
    problems.push(...formatValidationErrors(options.environment ? decoded.left : withoutReferenced(decoded.left, references), { emptyVariables }));
    return { problems, references };
  }
  const resolved = resolveConfig(decoded.right, {
    source: options.source,
    baseDir: options.baseDir,
    certsDir: path.resolve(options.baseDir, options.certsDir ?? 'certs'),
  });
  problems.push(...resolved.problems);
  return problems.length > 0 || resolved.config === undefined ? { problems, references } : { config: resolved.config, problems, references };
}

/** The errors but those about the value of a setting that holds a `${NAME}` reference. */
function withoutReferenced(errors: t.Errors, references: readonly string[]): t.Errors {
  const referenced = new Set(references);
  // An error with a message (an unknown setting) is about the key, not the value: it stays.
  return errors.filter((e) => e.message !== undefined || !referenced.has(contextPath(e.context)));
}
