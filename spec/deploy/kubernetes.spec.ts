import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as yaml from 'js-yaml';
import type { CollectorConfig, DevoOutputConfig } from '../../lib/config/collectorConfig';
import { decodeConfig } from '../../lib/config/loadConfig';
import { schemaProblems } from '../helpers/kubernetesSchema';
import { build, readKustomization, readYaml, type Build, type Manifest } from '../helpers/kustomize';

const ROOT = path.join(__dirname, '..', '..', '..');
const DEPLOY = path.join(ROOT, 'deploy', 'kubernetes');

/** The variables config.yaml may name as ${NAME}: the keys of the credentials Secret (docs/running.md, "Kubernetes"). */
const CREDENTIALS = ['POD_CLUSTER_ID', 'POD_API_TOKEN', 'CASB_API_KEY', 'CASB_CLIENT_ID', 'CASB_CLIENT_SECRET'];
const DUMMY_ENV = Object.fromEntries(CREDENTIALS.map((name) => [name, `dummy-${name.toLowerCase()}-0123456789`]));
/** What the collector takes to stop on SIGTERM: 8 s for the pipelines, ~1 s for the sender, then the state (docs/running.md). */
const STOP_SECONDS = 10;
/** Memory the collector needs at work without its de-dup windows, with margin (deployment.yaml's comment; BENCHMARKS.md "Memory you can plan for"). */
const BASE_MIB = 256;
/** Memory outside V8's old space: native, young generation, buffers (deployment.yaml's comment). */
const NON_HEAP_MIB = 160;
/** State volume per service at the default window (persistentvolumeclaim.yaml's comment). */
const STATE_MIB_PER_SERVICE = 400;

interface Container {
  name: string;
  image: string;
  args?: string[];
  workingDir?: string;
  ports: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string }>;
  envFrom?: Array<{ secretRef?: { name: string; optional?: boolean } }>;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } };
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}
interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string; defaultMode?: number };
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: object;
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: Volume[];
}
interface DeploymentSpec {
  replicas: number;
  strategy: { type: string };
  template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
}

/** The directories that `kubectl apply -k` takes: deploy/kubernetes/ and each overlay beside base/. */
async function collectorDirs(): Promise<string[]> {
  const dirs = ['.'];
  for (const entry of await readdir(DEPLOY, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name !== 'base') dirs.push(entry.name);
  }
  return dirs;
}

/** A quantity of memory (`1280Mi`, `2Gi`) in MiB. */
function mebibytes(quantity: string | undefined): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity ?? '');
  expect(match, `a memory quantity in Mi or Gi, got ${quantity}`).not.to.equal(null);
  return Number(match![1]) * (match![2] === 'Gi' ? 1024 : 1);
}

/** A quantity of CPU (`200m`, `1`) in millicores. */
function millicores(quantity: string | undefined): number {
  const match = /^(\d+)(m?)$/.exec(quantity ?? '');
  expect(match, `a CPU quantity, got ${quantity}`).not.to.equal(null);
  return Number(match![1]) * (match![2] === 'm' ? 1 : 1000);
}

/** Decodes config.yaml as the collector does in the pod (working directory /app, certificates under /app/certs). */
function decodeInPod(tree: unknown): CollectorConfig {
  return decodeConfig(tree, { env: DUMMY_ENV, baseDir: '/app', source: 'config.yaml' });
}

function enabledServices(config: CollectorConfig): Array<{ dedupMaxBytes: number }> {
  return [...(config.pod?.enabled === true ? config.pod.services : []), ...(config.casb?.enabled === true ? config.casb.services : [])];
}

function find(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  expect(found, `one ${kind}${name === undefined ? '' : ` named ${name}`}`).to.have.length(1);
  return found[0]!;
}

describe('deploy/kubernetes', () => {
  it('each kustomization names every file of its directory, and only files that exist', async () => {
    for (const dir of ['base', ...(await collectorDirs())].map((d) => path.join(DEPLOY, d))) {
      const k = await readKustomization(dir);
      const named: string[] = [];
      for (const resource of k.resources ?? []) {
        const at = path.resolve(dir, resource);
        if ((await stat(at)).isDirectory()) await stat(path.join(at, 'kustomization.yaml'));
        else named.push(at);
      }
      named.push(...(k.configMapGenerator ?? []).flatMap((g) => g.files.map((f) => path.resolve(dir, f))));
      named.push(...(k.patches ?? []).map((p) => path.resolve(dir, p.path)));
      for (const file of named) await stat(file);
      const present = (await readdir(dir, { withFileTypes: true }))
        .filter((e) => e.isFile() && e.name !== 'kustomization.yaml')
        .map((e) => path.join(dir, e.name));
      expect([...named].sort(), path.relative(ROOT, dir)).to.deep.equal(present.sort());
    }
  });

  it('finds what the Kubernetes API schema refuses, unknown fields included (the check below)', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', labels: { a: 'b' } },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    };
    expect(schemaProblems(deployment)).to.deep.equal([]);
    const typo = JSON.parse(JSON.stringify(deployment)) as typeof deployment & { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
    typo.spec.template.spec.containers[0]!['readinesProbe'] = { httpGet: { path: '/ready', port: 'http' } };
    expect(schemaProblems(typo)).to.deep.equal(['/spec/template/spec/containers/0/readinesProbe: not a field of the Kubernetes API']);
    expect(schemaProblems({ ...deployment, spec: { ...deployment.spec, replicas: '1' } })).to.deep.equal(['data/spec/replicas must be integer']);
    expect(schemaProblems({ apiVersion: 'v1', kind: 'Service' })[0]).to.match(/no schema/);
  });

  it('every manifest parses and validates against the Kubernetes API schema', async () => {
    for (const dir of await collectorDirs()) {
      const { manifests } = await build(path.join(DEPLOY, dir));
      expect(manifests.map((m) => m.kind).sort(), dir).to.deep.equal(['ConfigMap', 'Deployment', 'PersistentVolumeClaim']);
      for (const m of manifests) expect(schemaProblems(m), `${dir}: ${m.kind} ${m.metadata.name}`).to.deep.equal([]);
    }
  });

  it('gives each collector its own name suffix, instance label, credentials Secret and state volume', async () => {
    const seen = { suffix: new Set<string>(), instance: new Set<string>(), credentials: new Set<string>(), claim: new Set<string>() };
    for (const dir of await collectorDirs()) {
      const { manifests, nameSuffix } = await build(path.join(DEPLOY, dir));
      const spec = find(manifests, 'Deployment').spec as DeploymentSpec;
      const claim = spec.template.spec.volumes.find((v) => v.persistentVolumeClaim !== undefined)!.persistentVolumeClaim!.claimName;
      const mine = {
        suffix: nameSuffix,
        instance: spec.template.metadata.labels['app.kubernetes.io/instance']!,
        credentials: spec.template.spec.containers[0]!.envFrom![0]!.secretRef!.name,
        claim: claim + nameSuffix,
      };
      expect(mine.credentials, dir).to.equal(`proofpoint-devo-collector-credentials${nameSuffix}`);
      for (const key of Object.keys(seen) as Array<keyof typeof seen>) {
        expect(seen[key].has(mine[key]), `${dir}: ${key} ${mine[key]} is another collector's`).to.equal(false);
        seen[key].add(mine[key]);
      }
    }
  });

  describe('each collector', () => {
    let collectors: Array<{ dir: string; build: Build; spec: DeploymentSpec; container: Container; tree: Record<string, unknown>; config: CollectorConfig }>;

    before(async () => {
      collectors = [];
      for (const dir of await collectorDirs()) {
        const b = await build(path.join(DEPLOY, dir));
        const spec = find(b.manifests, 'Deployment').spec as DeploymentSpec;
        const containers = spec.template.spec.containers;
        expect(containers, dir).to.have.length(1);
        const text = (find(b.manifests, 'ConfigMap').data as Record<string, string>)['config.yaml'];
        expect(text, `${dir}: the ConfigMap's config.yaml`).to.be.a('string');
        const tree = yaml.load(text!, { schema: yaml.CORE_SCHEMA }) as Record<string, unknown>;
        collectors.push({ dir, build: b, spec, container: containers[0]!, tree, config: decodeInPod(tree) });
      }
    });

    const mountOf = (c: (typeof collectors)[number], mountPath: string) => {
      const mount = c.container.volumeMounts.find((m) => m.mountPath === mountPath);
      expect(mount, `${c.dir}: a volume at ${mountPath}`).not.to.equal(undefined);
      const volume = c.spec.template.spec.volumes.find((v) => v.name === mount!.name);
      expect(volume, `${c.dir}: the volume ${mount!.name}`).not.to.equal(undefined);
      return { mount: mount!, volume: volume! };
    };

    it('runs one pod at a time: replicas 1, strategy Recreate', () => {
      for (const c of collectors) {
        expect(c.spec.replicas, c.dir).to.equal(1);
        expect(c.spec.strategy.type, c.dir).to.equal('Recreate');
      }
    });

    it('keeps its state on its PersistentVolumeClaim at /app/state, in a directory the collector makes there', () => {
      for (const c of collectors) {
        const { mount, volume } = mountOf(c, '/app/state');
        expect(mount.readOnly ?? false, c.dir).to.equal(false);
        const pvc = find(c.build.manifests, 'PersistentVolumeClaim', volume.persistentVolumeClaim?.claimName).spec as {
          accessModes: string[];
          resources: { requests: { storage: string } };
        };
        expect(pvc.accessModes, c.dir).to.satisfy((modes: string[]) => modes.length === 1 && ['ReadWriteOnce', 'ReadWriteOncePod'].includes(modes[0]!));
        expect(mebibytes(pvc.resources.requests.storage), `${c.dir}: storage`).to.be.at.least(STATE_MIB_PER_SERVICE * enabledServices(c.config).length);
        // The volume's root is root's, group-writable (fsGroup): the collector refuses that as its
        // state directory (STATE_DIRECTORY_INSECURE), so it makes its own inside.
        const inside = path.posix.relative('/app/state', c.config.stateDirectory);
        expect(inside !== '' && !inside.startsWith('..') && !path.posix.isAbsolute(inside), `${c.dir}: ${c.config.stateDirectory} inside /app/state`).to.equal(
          true,
        );
      }
    });

    it('mounts config.yaml from its ConfigMap read-only at /app/config, where the image reads it', () => {
      for (const c of collectors) {
        const { mount, volume } = mountOf(c, '/app/config');
        expect(mount.readOnly, c.dir).to.equal(true);
        expect(find(c.build.manifests, 'ConfigMap', volume.configMap?.name).data, c.dir).to.have.property('config.yaml');
        expect(c.container.workingDir ?? '/app', c.dir).to.equal('/app');
        expect(c.container.args, c.dir).to.deep.equal(['run', '--config', 'config/config.yaml']);
      }
    });

    it('mounts the Devo certificates from a Secret read-only at /app/certs, and config.yaml names them there', () => {
      for (const c of collectors) {
        const { mount, volume } = mountOf(c, '/app/certs');
        expect(mount.readOnly, c.dir).to.equal(true);
        expect(volume.secret?.secretName, c.dir).to.equal('proofpoint-devo-collector-devo-certs');
        expect((volume.secret?.defaultMode ?? 0o644) & 0o007, `${c.dir}: the key is not for other users`).to.equal(0);
        expect(c.config.output.kind, c.dir).to.equal('devo');
        const { chain, cert, key } = c.config.output as DevoOutputConfig;
        expect([chain.path, cert.path, key.path], c.dir).to.deep.equal(['/app/certs/chain.crt', '/app/certs/domain.crt', '/app/certs/domain.key']);
      }
    });

    it('takes the credentials from its Secret as environment variables, as config.yaml names them', async () => {
      for (const c of collectors) {
        expect(c.container.envFrom, c.dir).to.have.length(1);
        const ref = c.container.envFrom![0]!.secretRef;
        expect(ref?.name, c.dir).to.match(/^proofpoint-devo-collector-credentials/);
        expect(ref?.optional ?? false, c.dir).to.equal(false);
        const text = await readFile(path.join(DEPLOY, c.dir, 'config.yaml'), 'utf8');
        const named = [...text.replace(/^\s*#.*$/gm, '').matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!);
        expect(named, c.dir).not.to.be.empty;
        expect(CREDENTIALS, `${c.dir}: the Secret's documented keys`).to.include.members(named);
        expect(
          (c.container.env ?? []).map((e) => e.name),
          `${c.dir}: no credential in clear`,
        ).not.to.include.members(CREDENTIALS.filter((n) => named.includes(n)));
      }
    });

    it('enables globals.http_server on the named probe port in config.yaml (the setting of issue 14)', () => {
      for (const c of collectors) {
        const http = (c.tree.globals as Record<string, unknown>).http_server;
        expect(http, c.dir).to.deep.equal({ address: '0.0.0.0', port: 9464 });
        const port = c.container.ports.find((p) => p.name === 'http');
        expect(port?.containerPort, `${c.dir}: container port "http"`).to.equal(9464);
      }
    });

    it("passes the collector's own config decoding, http_server included", () => {
      // decodeInPod (in before) threw on any problem.
      for (const c of collectors) expect(c.config.httpServer, c.dir).to.deep.equal({ address: '0.0.0.0', port: 9464 });
    });

    it('probes /health (startup, liveness) and /ready (readiness) on the named port, patiently', () => {
      for (const c of collectors) {
        const { startupProbe, livenessProbe, readinessProbe } = c.container;
        expect(startupProbe?.httpGet, c.dir).to.deep.equal({ path: '/health', port: 'http' });
        expect(livenessProbe?.httpGet, c.dir).to.deep.equal({ path: '/health', port: 'http' });
        expect(readinessProbe?.httpGet, c.dir).to.deep.equal({ path: '/ready', port: 'http' });
        const window = (p: Probe) => (p.periodSeconds ?? 10) * (p.failureThreshold ?? 3);
        // A restart only after a minute without an answer, each answer awaited 5 s: a catch-up or
        // a long GC pause is not a hung process. The start (de-dup windows restored) gets 2 minutes.
        expect(window(livenessProbe!), `${c.dir}: liveness window (s)`).to.be.at.least(60);
        expect(livenessProbe!.timeoutSeconds ?? 1, `${c.dir}: liveness timeout (s)`).to.be.at.least(5);
        expect(window(startupProbe!), `${c.dir}: startup window (s)`).to.be.at.least(120);
      }
    });

    it("gives SIGTERM a grace period of at least twice the collector's stop time", () => {
      for (const c of collectors) expect(c.spec.template.spec.terminationGracePeriodSeconds, c.dir).to.be.at.least(2 * STOP_SECONDS);
    });

    it('runs as uid and gid 1000, non-root, read-only, without privilege escalation or capabilities', () => {
      for (const c of collectors) {
        expect(c.spec.template.spec.securityContext, c.dir).to.deep.include({
          runAsNonRoot: true,
          runAsUser: 1000,
          runAsGroup: 1000,
          fsGroup: 1000,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        const sc = c.container.securityContext;
        expect(sc, c.dir).to.deep.include({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
        expect(sc.capabilities?.drop, c.dir).to.deep.equal(['ALL']);
        expect(sc.capabilities?.add ?? [], c.dir).to.deep.equal([]);
        expect(sc.privileged ?? false, c.dir).to.equal(false);
        expect(sc.runAsUser ?? 1000, c.dir).to.equal(1000);
      }
    });

    it("sets requests and limits, the memory limit holding every de-dup window config.yaml allows and the largest one's rebuild", () => {
      for (const c of collectors) {
        const { requests, limits } = c.container.resources;
        expect(millicores(requests?.cpu), `${c.dir}: cpu`).to.be.at.most(millicores(limits?.cpu));
        expect(mebibytes(requests?.memory), `${c.dir}: memory`).to.be.at.most(mebibytes(limits?.memory));
        const windows = enabledServices(c.config).map((s) => s.dedupMaxBytes / 1048576);
        const windowsMib = windows.reduce((sum, mib) => sum + mib, 0);
        // A full window costs 1.2 times its size once it has turned over (lru-cache's key map doubles its
        // table), and its map's rebuild or its journal's compaction ~0.2 more until the next full
        // collection (BENCHMARKS.md, "The 10-minute soak"): 1.25 times the windows and half the largest.
        const needed = BASE_MIB + 1.25 * windowsMib + 0.5 * Math.max(0, ...windows);
        expect(
          mebibytes(limits?.memory),
          `${c.dir}: ${BASE_MIB} MiB + 1.25 x ${windowsMib} MiB of de-dup windows + half the largest (its rebuild or compaction)`,
        ).to.be.at.least(needed);
      }
    });

    it("lets Node's heap use the memory limit: --max-old-space-size is the limit less the memory outside it", () => {
      for (const c of collectors) {
        const options = (c.container.env ?? []).find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
        const heap = /--max-old-space-size=(\d+)/.exec(options);
        expect(heap, `${c.dir}: NODE_OPTIONS ${options}`).not.to.equal(null);
        expect(Number(heap![1]), c.dir).to.equal(mebibytes(c.container.resources.limits?.memory) - NON_HEAP_MIB);
      }
    });

    it('annotates the pod for Prometheus to scrape /metrics on the named port', () => {
      for (const c of collectors) {
        const port = c.container.ports.find((p) => p.name === 'http')!.containerPort;
        expect(c.spec.template.metadata.annotations, c.dir).to.deep.include({
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(port),
          'prometheus.io/path': '/metrics',
        });
      }
    });

    it('builds as kubectl kustomize does, where kubectl is installed (no cluster needed)', async function () {
      for (const c of collectors) {
        let stdout: string;
        try {
          ({ stdout } = await promisify(execFile)('kubectl', ['kustomize', path.join(DEPLOY, c.dir)], { timeout: 10_000 }));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.skip();
          throw err;
        }
        const rendered = (yaml.loadAll(stdout) as Manifest[]).map((m) => {
          expect(schemaProblems(m), `${c.dir}: rendered ${m.kind}`).to.deep.equal([]);
          return JSON.parse(JSON.stringify(m)) as Manifest & { metadata: { name: string } };
        });
        // Back to the names the files write: kustomize adds the suffix, and the generator a hash.
        const original = (kind: string) => find(c.build.manifests, kind).metadata.name;
        const renamed = new Map(rendered.map((m) => [m.metadata.name, original(m.kind)]));
        for (const m of rendered) {
          m.metadata.name = renamed.get(m.metadata.name)!;
          for (const v of m.kind === 'Deployment' ? (m.spec as DeploymentSpec).template.spec.volumes : []) {
            if (v.configMap) v.configMap.name = renamed.get(v.configMap.name) ?? v.configMap.name;
            if (v.persistentVolumeClaim)
              v.persistentVolumeClaim.claimName = renamed.get(v.persistentVolumeClaim.claimName) ?? v.persistentVolumeClaim.claimName;
          }
        }
        const byKind = (a: Manifest, b: Manifest) => a.kind.localeCompare(b.kind);
        expect(rendered.sort(byKind), c.dir).to.deep.equal([...c.build.manifests].sort(byKind));
      }
    });
  });

  it('docs/running.md says how to create each Secret, with every variable and file the config names', async () => {
    const running = await readFile(path.join(ROOT, 'docs', 'running.md'), 'utf8');
    const start = running.indexOf('\n## Kubernetes\n');
    expect(start, 'docs/running.md section "Kubernetes"').to.be.greaterThan(-1);
    const end = running.indexOf('\n## ', start + 1);
    const section = running.slice(start, end === -1 ? undefined : end);
    expect(section).to.include('kubectl create secret generic proofpoint-devo-collector-credentials');
    expect(section).to.include('kubectl create secret generic proofpoint-devo-collector-devo-certs');
    for (const name of [...CREDENTIALS, 'chain.crt', 'domain.crt', 'domain.key', 'kubectl apply -k deploy/kubernetes/']) expect(section, name).to.include(name);
  });

  it("config.yaml's commented second output (a syslog relay) validates once uncommented, beside devo_1", async () => {
    const text = await readFile(path.join(DEPLOY, 'config.yaml'), 'utf8');
    const lines = text.split('\n');
    const start = lines.indexOf('  # relay_1:');
    expect(start, 'a commented relay_1 in outputs').to.be.greaterThan(lines.indexOf('outputs:'));
    let end = start;
    while (lines[end]?.startsWith('  # ') === true) end++;
    const uncommented = [...lines.slice(0, start), ...lines.slice(start, end).map((l) => `  ${l.slice(4)}`), ...lines.slice(end)].join('\n');
    const config = decodeInPod(yaml.load(uncommented, { schema: yaml.CORE_SCHEMA }));
    expect(config.outputs.map((o) => `${o.name}:${o.kind}`)).to.deep.equal(['devo_1:devo', 'relay_1:syslog']);
    expect(config.outputs[1]).to.include({ address: 'devo-relay.logging.svc.cluster.local', port: 13000, hostname: 'proofpoint-devo-collector' });
  });

  it('every YAML file under deploy/kubernetes parses', async () => {
    const files = (await readdir(DEPLOY, { recursive: true })).filter((f) => f.endsWith('.yaml'));
    expect(files).not.to.be.empty;
    for (const file of files) expect(await readYaml(path.join(DEPLOY, file)), file).not.to.be.empty;
  });
});
