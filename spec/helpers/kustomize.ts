import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as yaml from 'js-yaml';

/** The fields of kustomize's `Kustomization` that deploy/kubernetes uses. */
export interface Kustomization {
  readonly resources?: readonly string[];
  readonly nameSuffix?: string;
  readonly labels?: ReadonlyArray<{ readonly pairs: Readonly<Record<string, string>>; readonly includeSelectors?: boolean }>;
  readonly configMapGenerator?: ReadonlyArray<{ readonly name: string; readonly files: readonly string[] }>;
  readonly patches?: ReadonlyArray<{ readonly path: string }>;
  readonly images?: ReadonlyArray<{ readonly name: string; readonly newName?: string; readonly newTag?: string }>;
}

/** A Kubernetes object as a manifest holds it. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

/** What {@link build} makes of a kustomization directory. */
export interface Build {
  /** The objects, as `kubectl kustomize` gives them but for the names (see {@link build}). */
  readonly manifests: Manifest[];
  /** The suffix kustomize adds to every name (the nested kustomizations' suffixes, inner first). */
  readonly nameSuffix: string;
  /** The files the kustomizations name (resources, generators' files, patches), absolute. */
  readonly files: string[];
}

/** Every YAML document of a file. */
export async function readYaml(file: string): Promise<unknown[]> {
  return yaml.loadAll(await readFile(file, 'utf8'), undefined, { filename: file });
}

/** The kustomization.yaml of a directory. */
export async function readKustomization(dir: string): Promise<Kustomization> {
  const [doc] = await readYaml(path.join(dir, 'kustomization.yaml'));
  return doc as Kustomization;
}

/**
 * Builds a kustomization directory as `kubectl kustomize` does, for the subset deploy/kubernetes
 * uses: resources (files and directories), `configMapGenerator` from files, strategic merge
 * patches (lists of objects merged by `name`, other lists replaced), `labels` (on selectors too
 * with `includeSelectors`) and `images`. Names are left as the files write them (no
 * `nameSuffix`, no generator hash), so that specs can follow references by name.
 *
 * @example
 * const { manifests } = await build('deploy/kubernetes');
 */
export async function build(dir: string): Promise<Build> {
  const k = await readKustomization(dir);
  const manifests: Manifest[] = [];
  const files: string[] = [];
  let inner = '';
  for (const resource of k.resources ?? []) {
    const at = path.resolve(dir, resource);
    if ((await stat(at)).isDirectory()) {
      const base = await build(at);
      manifests.push(...base.manifests);
      files.push(...base.files);
      inner = base.nameSuffix;
    } else {
      manifests.push(...((await readYaml(at)) as Manifest[]));
      files.push(at);
    }
  }
  for (const generator of k.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const file of generator.files) {
      data[path.basename(file)] = await readFile(path.resolve(dir, file), 'utf8');
      files.push(path.resolve(dir, file));
    }
    manifests.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data });
  }
  for (const patch of k.patches ?? []) {
    files.push(path.resolve(dir, patch.path));
    for (const p of (await readYaml(path.resolve(dir, patch.path))) as Manifest[]) {
      const i = manifests.findIndex((m) => m.kind === p.kind && m.metadata.name === p.metadata.name);
      if (i < 0) throw new Error(`${patch.path}: no ${p.kind} ${p.metadata.name} to patch`);
      manifests[i] = merge(manifests[i], p) as Manifest;
    }
  }
  const labelled = manifests.map((m) => withImages(withLabels(m, k.labels ?? []), k.images ?? []));
  return { manifests: labelled, nameSuffix: inner + (k.nameSuffix ?? ''), files };
}

/** A strategic merge patch, for the lists deploy/kubernetes patches (containers, env: by `name`). */
function merge(base: unknown, patch: unknown): unknown {
  if (isObject(base) && isObject(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = merge(base[k], v);
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch) && [...base, ...patch].every((e) => isObject(e) && typeof e.name === 'string')) {
    const out = [...base] as Array<Record<string, unknown>>;
    for (const p of patch as Array<Record<string, unknown>>) {
      const i = out.findIndex((b) => b.name === p.name);
      if (i < 0) out.push(p);
      else out[i] = merge(out[i], p) as Record<string, unknown>;
    }
    return out;
  }
  return patch;
}

function withLabels(m: Manifest, labels: NonNullable<Kustomization['labels']>): Manifest {
  let out = m;
  for (const { pairs, includeSelectors } of labels) {
    out = { ...out, metadata: { ...out.metadata, labels: { ...out.metadata.labels, ...pairs } } };
    if (includeSelectors === true && out.kind === 'Deployment') {
      const spec = out.spec as { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } };
      out = merge(out, {
        spec: {
          selector: { matchLabels: { ...spec.selector.matchLabels, ...pairs } },
          template: { metadata: { labels: { ...spec.template.metadata.labels, ...pairs } } },
        },
      }) as Manifest;
    }
  }
  return out;
}

function withImages(m: Manifest, images: NonNullable<Kustomization['images']>): Manifest {
  if (m.kind !== 'Deployment' || images.length === 0) return m;
  const spec = m.spec as { template: { spec: { containers: Array<{ name: string; image: string }> } } };
  const containers = spec.template.spec.containers.map((c) => {
    const [name] = c.image.split(':');
    const image = images.find((i) => i.name === name);
    return image === undefined ? c : { ...c, image: `${image.newName ?? name}:${image.newTag ?? c.image.split(':')[1]}` };
  });
  return merge(m, { spec: { template: { spec: { containers } } } }) as Manifest;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
