/** A `${NAME}` that the environment does not define. */
export interface MissingVariable {
  readonly path: string;
  readonly name: string;
}

/** Deeper than any config: a YAML alias loop (`&a [*a]`) or a hostile file. */
const MAX_DEPTH = 32;

/**
 * Replaces `${NAME}` in every string of a parsed YAML tree with the environment variable `NAME`
 * (for secrets in containers). `$${NAME}` is left as the literal `${NAME}`. Undefined variables
 * are collected with the path of the setting, not thrown, so that all are reported at once.
 *
 * @example
 * substituteEnv({ token: '${POD_TOKEN}' }, { POD_TOKEN: 'abc' }); // { value: { token: 'abc' }, missing: [] }
 */
export function substituteEnv(
  tree: unknown,
  env: Readonly<Record<string, string | undefined>>,
): { value: unknown; missing: MissingVariable[]; tooDeep?: string } {
  const missing: MissingVariable[] = [];
  let tooDeep: string | undefined;
  const walk = (node: unknown, path: string, depth: number): unknown => {
    if (depth > MAX_DEPTH) {
      tooDeep ??= path;
      return undefined;
    }
    if (typeof node === 'string') {
      return node.replace(/(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, escape: string, name: string) => {
        if (escape === '$') return whole.slice(1);
        const value = env[name];
        if (value === undefined) {
          missing.push({ path, name });
          return whole;
        }
        return value;
      });
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, `${path}[${i}]`, depth + 1));
    if (typeof node === 'object' && node !== null) {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) {
        Object.defineProperty(out, key, { value: walk(value, path === '' ? key : `${path}.${key}`, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return node;
  };
  const value = walk(tree, '', 0);
  return { value, missing, ...(tooDeep === undefined ? {} : { tooDeep }) };
}
