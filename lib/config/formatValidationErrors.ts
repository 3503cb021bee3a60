import type * as t from 'io-ts';

/** Setting names whose values are never printed. */
const SECRET_KEYS = new Set(['api_token', 'api_key', 'client_secret', 'key_passphrase']);

/** Whether the setting at a dotted path holds a secret, whose value is never printed. */
export function isSecretSetting(path: string): boolean {
  return SECRET_KEYS.has(path.slice(path.lastIndexOf('.') + 1));
}

/**
 * The dotted path of an io-ts error context (`inputs.proofpoint_casb.services.alerts`), with list
 * items as `[i]` (`inputs.proofpoint_casb.requests_limits[0].period`).
 */
export function contextPath(context: t.Context): string {
  let path = '';
  context.forEach((entry, i) => {
    if (entry.key === '') return;
    const inList = (context[i - 1]?.type as { readonly _tag?: string } | undefined)?._tag === 'ArrayType';
    path += inList ? `[${entry.key}]` : path === '' ? entry.key : `.${entry.key}`;
  });
  return path;
}

/**
 * Describes a value found in a config file, for "got …": short JSON for scalars, the kind for
 * mappings and lists, and only the kind for secrets.
 */
export function describeFound(value: unknown, secret: boolean): string {
  if (value === undefined) return 'nothing (the setting is missing)';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (secret) return typeof value === 'string' ? (value.trim() === '' ? 'an empty string' : 'a string (not shown)') : `a ${typeof value}`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Options of {@link formatValidationErrors}. */
export interface FormatValidationOptions {
  /**
   * The settings whose value came from environment variables that are defined but empty, by
   * path, with the variables' names: a bad value there is reported as the variable being empty
   * or unset (Docker Compose's `${NAME:-}` turns an unset variable into an empty one).
   */
  readonly emptyVariables?: ReadonlyMap<string, readonly string[]>;
}

/**
 * One line per problem, `path: expected <what>, got <found>` (or `path: <message>` for errors
 * that carry one, such as unknown settings), in file order, without duplicates.
 */
export function formatValidationErrors(errors: t.Errors, options: FormatValidationOptions = {}): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const path = contextPath(error.context) || '(top level)';
    const last = error.context[error.context.length - 1];
    const key = last?.key ?? '';
    const empty = options.emptyVariables?.get(path);
    let line: string;
    if (error.message !== undefined) line = `${path}: ${error.message}`;
    else if (empty !== undefined) line = `${path}: ${describeEmptyVariables(empty)}`;
    else line = `${path}: expected ${last?.type.name ?? 'a valid value'}, got ${describeFound(error.value, SECRET_KEYS.has(key))}`;
    if (!seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
  }
  return lines;
}

function describeEmptyVariables(names: readonly string[]): string {
  const list = names.length === 1 ? `environment variable ${names[0]} is` : `environment variables ${names.join(', ')} are`;
  return `${list} empty or unset (Docker Compose's \${${names[0]}:-} makes an unset variable empty): set ${names.length === 1 ? 'it' : 'them'} where the collector runs`;
}
