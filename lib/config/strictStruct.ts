import * as t from 'io-ts';

/** Marks a key that the codec does not know, for the error formatter. */
export const UNKNOWN_SETTING = 'unknown setting';

type Required<P extends t.Props> = { [K in keyof P]: t.TypeOf<P[K]> };
type Optional<P extends t.Props> = { [K in keyof P]?: t.TypeOf<P[K]> };

/** The decoded type of a {@link strictStruct}. */
export type StrictOf<R extends t.Props, O extends t.Props> = Required<R> & Optional<O>;

const unknownSetting = new t.Type<never>(
  UNKNOWN_SETTING,
  (_u): _u is never => false,
  t.failure,
  () => {
    throw new Error('unreachable');
  },
);

function isPlainObject(u: unknown): u is Record<string, unknown> {
  return typeof u === 'object' && u !== null && !Array.isArray(u);
}

/**
 * An io-ts codec for a YAML mapping with `required` and `optional` settings that, unlike
 * `t.exact`, reports every unknown key as an error (a typo in a config file must not be ignored).
 * An optional setting left blank (`null`) counts as absent, as in Devo's configs. All problems
 * are reported, not only the first.
 *
 * @example
 * const Service = strictStruct('a mapping', {}, { period_in_seconds: PositiveInt });
 */
export function strictStruct<R extends t.Props, O extends t.Props>(name: string, required: R, optional: O): t.Type<StrictOf<R, O>, StrictOf<R, O>, unknown> {
  const known = new Set([...Object.keys(required), ...Object.keys(optional)]);
  return new t.Type<StrictOf<R, O>, StrictOf<R, O>, unknown>(
    name,
    (u): u is StrictOf<R, O> => isPlainObject(u),
    (u, c) => {
      if (!isPlainObject(u)) return t.failure(u, c);
      const errors: t.Errors = [];
      const out: Record<string, unknown> = {};
      for (const [key, codec] of Object.entries(required)) {
        const result = codec.validate(u[key], t.appendContext(c, key, codec, u[key]));
        if (result._tag === 'Left') errors.push(...result.left);
        else out[key] = result.right;
      }
      for (const [key, codec] of Object.entries(optional)) {
        const value = u[key];
        if (value === undefined || value === null) continue;
        const result = codec.validate(value, t.appendContext(c, key, codec, value));
        if (result._tag === 'Left') errors.push(...result.left);
        else out[key] = result.right;
      }
      for (const key of Object.keys(u)) {
        if (known.has(key)) continue;
        errors.push({
          value: u[key],
          context: t.appendContext(c, key, unknownSetting, u[key]),
          message: `${UNKNOWN_SETTING}${suggest(key, known)}`,
        });
      }
      return errors.length > 0 ? t.failures(errors) : t.success(out as StrictOf<R, O>);
    },
    t.identity,
  );
}

function suggest(key: string, known: Set<string>): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== undefined) return ` (did you mean "${best}"?)`;
  return known.size > 0 ? ` (expected one of: ${[...known].join(', ')})` : '';
}

/** Levenshtein distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
