import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cp, symlink } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/tempDir';

const ROOT = path.resolve(__dirname, '../../..');
/** What a fresh clone holds that the build reads (no dist/). */
const SOURCES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'README.md',
  'CHANGELOG.md',
  'SECURITY.md',
  'docs',
  'lib',
  'pipelines',
  'spec',
  'bench',
  'chaos',
  'config',
];

interface PackedFile {
  readonly path: string;
}

describe('the package (npm pack)', function () {
  this.timeout(120_000);

  it('builds on pack from a fresh clone and ships the library, the CLI, their types and the docs the README links to, and no tests', async () => {
    const { dir, remove } = await tempDir();
    try {
      for (const entry of SOURCES) await cp(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
      await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
      const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--silent'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
      const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { files: PackedFile[] }[];
      const files = new Set(packed!.files.map((f) => f.path));
      // The README's links lead into docs/, which ships with it.
      for (const needed of [
        'package.json',
        'README.md',
        'CHANGELOG.md',
        'SECURITY.md',
        'docs/running.md',
        'docs/event-journey.md',
        'config/config.example.yaml',
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'dist/lib/cli/main.js',
        'dist/lib/api/operators.d.ts',
        'dist/lib/api/simulators.js',
        'dist/pipelines/runtime/runner.js',
        'dist/pipelines/runtime/serviceWorker.js',
      ]) {
        expect(files, needed).to.include(needed);
      }
      expect(
        [...files].filter((f) => f.startsWith('dist/spec') || f.startsWith('dist/bench') || f.startsWith('lib/') || f.includes('node_modules')),
      ).to.deep.equal([]);
    } finally {
      await remove();
    }
  });
});
