import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');

async function sources(...dirs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const dir of dirs) {
    for (const entry of await readdir(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) out.push(...(await sources(rel)));
      else if (entry.name.endsWith('.ts')) out.push(rel);
    }
  }
  return out;
}

/** The project files a source file imports (static imports, re-exports and require calls), relative to the root. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|require\(|import\()\s*'(\.[^']*)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), s)));
}

/** The entry points and the CLI: the only places that compose `pipelines/`. */
const TOP = (file: string) => file === 'lib/index' || file === 'lib/index.ts' || file.startsWith('lib/api/') || file.startsWith('lib/cli/');

describe('the layers (lower layers never import upper ones)', () => {
  it('lib/ (but the entry points and the CLI) imports nothing from pipelines/, the CLI or the entry points', async () => {
    const offenders: string[] = [];
    for (const file of await sources('lib')) {
      if (TOP(file)) continue;
      for (const target of await importsOf(file)) {
        if (target.startsWith('pipelines') || TOP(target)) offenders.push(`${file} -> ${target}`);
      }
    }
    expect(offenders).to.deep.equal([]);
  });

  it('pipelines/ imports nothing from the CLI or the entry points', async () => {
    const offenders: string[] = [];
    for (const file of await sources('pipelines')) {
      for (const target of await importsOf(file)) if (TOP(target)) offenders.push(`${file} -> ${target}`);
    }
    expect(offenders).to.deep.equal([]);
  });

  it('keeps every source file of lib, pipelines, bench and chaos but the simulators within 300 lines', async () => {
    const long: string[] = [];
    for (const file of await sources('lib', 'pipelines', 'bench', 'chaos')) {
      if (file.startsWith('lib/simulators/')) continue;
      const lines = (await readFile(path.join(ROOT, file), 'utf8')).trimEnd().split('\n').length;
      if (lines > 300) long.push(`${file}: ${lines}`);
    }
    expect(long).to.deep.equal([]);
  });

  it('has no import cycle (type-only imports included)', async () => {
    const files = await sources('lib', 'pipelines', 'bench', 'chaos');
    const graph = new Map<string, string[]>();
    for (const file of files)
      graph.set(
        file.replace(/\.ts$/, ''),
        (await importsOf(file)).map((t) => t.replace(/\.js$/, '')),
      );
    const cycles = new Set<string>();
    const state = new Map<string, 'open' | 'done'>();
    const visit = (node: string, trail: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        cycles.add([...trail.slice(trail.indexOf(node)), node].join(' -> '));
        return;
      }
      state.set(node, 'open');
      for (const next of graph.get(node) ?? []) if (graph.has(next)) visit(next, [...trail, node]);
      state.set(node, 'done');
    };
    for (const node of graph.keys()) visit(node, []);
    expect([...cycles]).to.deep.equal([]);
  });
});
