/** A `${NAME}` reference found in a setting. */
export interface VariableReference {
  /** The setting's path (`inputs.proofpoint_on_demand.credentials.api_token`). */
  readonly path: string;
  /** The variable's name (`POD_API_TOKEN`). */
  readonly name: string;
}

/** A `${` that does not start a valid `${NAME}` reference (`${POD-TOKEN}`, `${POD_TOKEN`). */
export interface MalformedReference {
  readonly path: string;
  /** The reference as written, from `${` to its `}` (cut at 40 characters). */
  readonly text: string;
}

/** What {@link substituteEnv} found and made. */
export interface SubstitutedTree {
  /** The tree with every reference replaced (or, when not resolving, left as written). */
  readonly value: unknown;
  /** References to variables the environment does not define (only when resolving). */
  readonly missing: VariableReference[];
  /**
   * References to variables that are defined but empty or blank (only when resolving): Docker
   * Compose's `${NAME:-}` passes an unset variable so.
   */
  readonly empty: VariableReference[];
  readonly malformed: MalformedReference[];
  /** Every well-formed reference, resolved or not. */
  readonly references: VariableReference[];
  /** Set when the tree is deeper than any config (a YAML alias loop): the path where it was cut. */
  readonly tooDeep?: string;
}

/** Options of {@link substituteEnv}. */
export interface SubstituteEnvOptions {
  /**
   * `false` checks the references' syntax only and leaves them as written (for
   * `validate --no-environment`, where the environment is not the one the collector will run
   * in). Default `true`.
   */
  readonly resolve?: boolean;
}

/** Deeper than any config: a YAML alias loop (`&a [*a]`) or a hostile file. */
const MAX_DEPTH = 32;

/** `$${` (a literal `${`), a well-formed `${NAME}`, or any other `${`. */
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{/g;

/**
 * Replaces `${NAME}` in every string of a parsed YAML tree with the environment variable `NAME`
 * (for secrets in containers). `$${` is a literal `${`. Undefined and empty variables and
 * malformed references are collected with the path of the setting, not thrown, so that all are
 * reported at once.
 *
 * @example
 * substituteEnv({ token: '${POD_TOKEN}' }, { POD_TOKEN: 'abc' }).value; // { token: 'abc' }
 */
export function substituteEnv(tree: unknown, env: Readonly<Record<string, string | undefined>>, options: SubstituteEnvOptions = {}): SubstitutedTree {
  const resolve = options.resolve ?? true;
  const missing: VariableReference[] = [];
  const empty: VariableReference[] = [];
  const malformed: MalformedReference[] = [];
  const references: VariableReference[] = [];
  let tooDeep: string | undefined;
  const walk = (node: unknown, path: string, depth: number): unknown => {
    if (depth > MAX_DEPTH) {
      tooDeep ??= path;
      return undefined;
    }
    if (typeof node === 'string') {
      return node.replace(REFERENCE, (whole: string, name: string | undefined, offset: number) => {
        if (whole === '$${') return '${';
        if (name === undefined) {
          const close = node.indexOf('}', offset);
          const end = close === -1 ? node.length : close + 1;
          malformed.push({ path, text: end - offset > 40 ? `${node.slice(offset, offset + 39)}…` : node.slice(offset, end) });
          return whole;
        }
        references.push({ path, name });
        if (!resolve) return whole;
        const value = env[name];
        if (value === undefined) {
          missing.push({ path, name });
          return whole;
        }
        if (value.trim() === '') empty.push({ path, name });
        return value;
      });
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, `${path}[${i}]`, depth + 1));
    if (typeof node === 'object' && node !== null) {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) {
        Object.defineProperty(out, key, {
          value: walk(value, path === '' ? key : `${path}.${key}`, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return node;
  };
  const value = walk(tree, '', 0);
  return { value, missing, empty, malformed, references, ...(tooDeep === undefined ? {} : { tooDeep }) };
}
