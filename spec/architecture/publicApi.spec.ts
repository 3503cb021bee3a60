import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/tempDir';

const ROOT = path.join(__dirname, '..', '..', '..');

/** Runs `script` with node in a project that depends on this package (linked as node_modules/proofpoint-devo-collector). */
async function inDependentProject(script: string): Promise<unknown> {
  const { dir, remove } = await tempDir('pdc-api-');
  try {
    await mkdir(path.join(dir, 'node_modules'));
    await symlink(ROOT, path.join(dir, 'node_modules', 'proofpoint-devo-collector'));
    await writeFile(path.join(dir, 'probe.js'), script);
    const { stdout } = await promisify(execFile)(process.execPath, ['--preserve-symlinks', 'probe.js'], { cwd: dir });
    return JSON.parse(stdout) as unknown;
  } finally {
    await remove();
  }
}

describe('the public API (package.json exports)', function () {
  this.timeout(20_000);

  it('offers three deliberate entry points, and nothing of the internals', async () => {
    const result = await inDependentProject(`
      const names = (m) => Object.keys(m).sort();
      const main = require('proofpoint-devo-collector');
      const loaded = Object.keys(require.cache).map((f) => f.replace(/\\\\/g, '/'));
      const operators = require('proofpoint-devo-collector/operators');
      const simulators = require('proofpoint-devo-collector/simulators');
      let deep;
      try { require('proofpoint-devo-collector/dist/lib/flow/byteArena'); deep = 'loaded'; } catch (e) { deep = e.code; }
      console.log(JSON.stringify({
        main: names(main), operators: names(operators), simulators: names(simulators), deep,
        mainLoadsCasb: loaded.some((f) => /pipelines\\/casb|node_modules\\/axios\\//.test(f)),
        mainLoadsSimulators: loaded.some((f) => /lib\\/simulators\\//.test(f)),
      }));
    `);
    expect(result).to.deep.equal({
      main: [
        'CollectorError',
        'ConfigError',
        'checkWithoutEnvironment',
        'createLogger',
        'decodeConfig',
        'defaultServices',
        'loadConfig',
        'silentLogger',
        'startCollector',
      ],
      operators: [
        'DevoSender',
        'StreamFlow',
        'Valve',
        'batchBy',
        'batchByArrays',
        'commitAcks',
        'dedupStoredKey',
        'dedupWindow',
        'devoLine',
        'devoSink',
        'devoSinkArrays',
        'devoWrite',
        'devoWriteArrays',
        'flatten',
        'flattenRecord',
        'normalizeTime',
        'parseEventTime',
        'sortWithin',
        'sortWithinArrays',
      ],
      simulators: ['CasbSimulator', 'DevoReceiver', 'PodSimulator', 'createThrowawayPki'],
      deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      mainLoadsCasb: false,
      mainLoadsSimulators: false,
    });
  });

  it('type-checks the embedding example of docs/running.md against the published types', async () => {
    const { dir, remove } = await tempDir('pdc-api-');
    try {
      await mkdir(path.join(dir, 'node_modules'));
      await symlink(ROOT, path.join(dir, 'node_modules', 'proofpoint-devo-collector'));
      for (const types of ['@types', 'undici-types']) await symlink(path.join(ROOT, 'node_modules', types), path.join(dir, 'node_modules', types));
      const running = await import('node:fs/promises').then((fs) => fs.readFile(path.join(ROOT, 'docs', 'running.md'), 'utf8'));
      const example = /\n## Embedded in a Node application\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(running)?.[1];
      expect(example, 'docs/running.md has an embedding example').to.be.a('string');
      // The example's import stays on top; its statements run in an async function (top-level await in a script).
      const imports = example!.split('\n').filter((l) => l.startsWith('import '));
      const body = example!.split('\n').filter((l) => !l.startsWith('import '));
      await writeFile(path.join(dir, 'embed.ts'), `${imports.join('\n')}\nexport async function main(): Promise<void> {\n${body.join('\n')}\n}\n`);
      await writeFile(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            module: 'Node16',
            moduleResolution: 'Node16',
            target: 'ES2022',
            noEmit: true,
            types: ['node'],
            preserveSymlinks: true,
          },
          files: ['embed.ts'],
        }),
      );
      const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const { stdout } = await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir }).catch((err: { stdout: string }) => ({
        stdout: err.stdout,
      }));
      expect(stdout.trim()).to.equal('');
    } finally {
      await remove();
    }
  });
});
