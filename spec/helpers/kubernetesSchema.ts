import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';

/** The Kubernetes models (kubernetes-models: the API's OpenAPI schema, compiled) of the kinds used, by `apiVersion kind`. */
const MODELS: Readonly<Record<string, { readonly prototype: { validate(): void } }>> = {
  'apps/v1 Deployment': Deployment,
  'v1 ConfigMap': ConfigMap,
  'v1 PersistentVolumeClaim': PersistentVolumeClaim,
  'v1 Secret': Secret,
};

/**
 * What is wrong with a manifest by the Kubernetes API schema, offline: the schema's errors (types,
 * required fields, enums), then every field the schema does not know. The API's schema allows
 * unknown fields (the API server drops them, or refuses them under strict field validation), so
 * a typo such as `readinesProbe` passes its validation; they are found here by watching which
 * fields the compiled validator reads, since it reads every property its schema declares and
 * every entry of a map (labels, `data`, `limits`): a field it never reads is unknown. Empty when
 * the manifest is valid.
 *
 * @example
 * expect(schemaProblems(yaml.load(text))).to.deep.equal([]);
 */
export function schemaProblems(manifest: unknown): string[] {
  const m = manifest as { apiVersion?: unknown; kind?: unknown };
  const model = MODELS[`${String(m.apiVersion)} ${String(m.kind)}`];
  if (model === undefined) return [`no schema here for apiVersion ${String(m.apiVersion)} kind ${String(m.kind)}`];
  const objects: Array<{ path: string; keys: string[]; read: Set<string> }> = [];
  const watched = watch(manifest, '', objects);
  try {
    model.prototype.validate.call(watched);
  } catch (err) {
    return [(err as Error).message];
  }
  const unknown = objects.flatMap(({ path, keys, read }) => keys.filter((k) => !read.has(k)).map((k) => `${path}/${k}`));
  // What is inside an unknown field is never read either: name the outermost only.
  return unknown.filter((p) => !unknown.some((outer) => p.startsWith(`${outer}/`))).map((p) => `${p}: not a field of the Kubernetes API`);
}

/** A copy of `value` whose objects record the properties read from them. */
function watch(value: unknown, path: string, objects: Array<{ path: string; keys: string[]; read: Set<string> }>): unknown {
  if (Array.isArray(value)) return value.map((v, i) => watch(v, `${path}/${i}`, objects));
  if (value === null || typeof value !== 'object') return value;
  const read = new Set<string>();
  objects.push({ path, keys: Object.keys(value), read });
  const copy = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, watch(v, `${path}/${k}`, objects)]));
  return new Proxy(copy, {
    get(target, key, receiver) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key, receiver);
    },
  });
}
