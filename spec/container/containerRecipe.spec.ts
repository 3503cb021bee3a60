import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { substituteEnv } from '../../lib/config/substituteEnv';

/**
 * The container as a newcomer runs it: no Docker engine runs where the tests do, so these read the
 * Dockerfile, the Docker commands of docs/running.md and docker-compose.yml, and check that following them
 * works the first time (every variable the example config needs, state/ and the key owned by the
 * image's uid, a stop timeout above Docker's 10 s default, the current Node LTS as the base).
 */
const ROOT = path.join(__dirname, '..', '..', '..');

async function text(file: string): Promise<string> {
  return readFile(path.join(ROOT, file), 'utf8');
}

/** The `${NAME}` variables that config/config.example.yaml reads (commented lines aside). */
async function exampleVariables(): Promise<string[]> {
  const tree = yaml.load(await text('config/config.example.yaml'), { schema: yaml.CORE_SCHEMA });
  return [...new Set(substituteEnv(tree, {}, { resolve: false }).references.map((r) => r.name))];
}

/** The "With Docker" shell block of docs/running.md, its continued lines joined, comments removed. */
async function runningDockerCommands(): Promise<string[]> {
  const running = await text('docs/running.md');
  const start = running.indexOf('\n## With Docker\n');
  expect(start, 'docs/running.md section "With Docker"').to.be.greaterThan(-1);
  const section = running.slice(start, running.indexOf('\n## ', start + 1));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block, 'a ```sh block in the "With Docker" section of docs/running.md').to.be.a('string');
  return block!
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '');
}

/** The instructions of the Dockerfile, continued lines joined. */
async function dockerfile(): Promise<Array<{ instruction: string; args: string }>> {
  return (await text('Dockerfile'))
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
    .map((line) => {
      const [instruction, ...rest] = line.trim().split(/\s+/);
      return { instruction: instruction!.toUpperCase(), args: rest.join(' ') };
    });
}

describe('the container recipe (Dockerfile, docs/running.md, docker-compose.yml)', () => {
  it('builds on the current Node LTS line (24), non-root, stopped by SIGTERM to node itself', async () => {
    const steps = await dockerfile();
    const bases = steps.filter((s) => s.instruction === 'FROM').map((s) => s.args.split(/\s+/)[0]);
    expect(bases).to.deep.equal(['node:24-bookworm-slim', 'node:24-bookworm-slim']);
    const final = steps.slice(steps.map((s) => s.instruction).lastIndexOf('FROM'));
    expect(final.filter((s) => s.instruction === 'USER').map((s) => s.args)).to.deep.equal(['node']);
    expect(final.find((s) => s.instruction === 'STOPSIGNAL')?.args).to.equal('SIGTERM');
    expect(JSON.parse(final.find((s) => s.instruction === 'ENTRYPOINT')!.args)).to.deep.equal(['node', '--heap-growing-percent=20', 'dist/lib/cli/main.js']);
    expect(JSON.parse(final.find((s) => s.instruction === 'CMD')!.args)).to.deep.equal(['run', '--config', 'config/config.yaml']);
    expect(final.some((s) => s.instruction === 'RUN' && /chown node:node \/app\/state/.test(s.args))).to.equal(true);
    // Node 24 satisfies the engines; the suite also runs on the machine's Node 20 (.ci/run).
    expect((JSON.parse(await text('package.json')) as { engines: { node: string } }).engines.node).to.equal('>=20.9');
  });

  it("the image's V8 flags are ones this Node accepts (the suite runs on Node 20 and 24: a refused flag would stop the container at start)", async () => {
    const steps = await dockerfile();
    const entry = JSON.parse(steps.filter((s) => s.instruction === 'ENTRYPOINT').at(-1)!.args) as string[];
    const flags = entry.slice(1, -1);
    expect(flags.length).to.be.greaterThan(0);
    const run = spawnSync(process.execPath, [...flags, '-e', 'process.stdout.write("started")'], { encoding: 'utf8' });
    expect([run.status, run.stdout, run.stderr]).to.deep.equal([0, 'started', '']);
  });

  it('the docker run of docs/running.md (and docker-compose.yml) passes every variable the example config reads, with a stop timeout above 10 s', async () => {
    const commands = await runningDockerCommands();
    const run = commands.find((c) => c.startsWith('docker run '));
    expect(run, 'a docker run command').to.be.a('string');
    const passed = [...run!.matchAll(/(?:^|\s)-e\s+([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
    const needed = await exampleVariables();
    expect(needed).to.include.members(['POD_CLUSTER_ID', 'POD_API_TOKEN', 'CASB_API_KEY', 'CASB_CLIENT_ID', 'CASB_CLIENT_SECRET']);
    expect(passed).to.include.members(needed);
    const exported = commands.filter((c) => c.startsWith('export ')).flatMap((c) => [...c.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1]));
    expect(exported).to.include.members(needed);
    const timeout = /--stop-timeout[ =](\d+)/.exec(run!);
    expect(timeout, '--stop-timeout').not.to.equal(null);
    expect(Number(timeout![1])).to.be.greaterThan(10);
    expect(run).to.include('--init');
    expect(run).to.include('-v "$PWD/config:/app/config:ro"').and.include('-v "$PWD/certs:/app/certs:ro"').and.include('-v "$PWD/state:/app/state"');
    expect(run).not.to.include('/app/state:ro');
    // docker compose up, the other way docs/running.md gives, too: uid 1000, every variable, > 10 s to stop.
    const compose = yaml.load(await text('docker-compose.yml')) as {
      services: Record<string, { user: string; init: boolean; stop_grace_period: string; environment: Record<string, string>; volumes: string[] }>;
    };
    const service = compose.services['proofpoint-devo-collector']!;
    expect(service.user).to.equal('1000:1000');
    expect(service.init).to.equal(true);
    expect(Number(/^(\d+)s$/.exec(service.stop_grace_period)?.[1])).to.be.greaterThan(10);
    expect(Object.keys(service.environment)).to.include.members(await exampleVariables());
    expect(service.volumes).to.include.members(['./config:/app/config:ro', './certs:/app/certs:ro', './state:/app/state']);
  });

  it("docs/running.md creates state/ and makes it, every file in it (chown -R) and the key the image's user's (uid 1000) before docker run", async () => {
    const commands = await runningDockerCommands();
    const before = commands.slice(
      0,
      commands.findIndex((c) => c.startsWith('docker run ')),
    );
    const steps = before.flatMap((c) => c.split(/\s*&&\s*/));
    const mkdir = steps.findIndex((c) => /^mkdir -p (-m 0?700 )?state$/.test(c));
    // Recursive: a native run before leaves state files of its own user there.
    const chownState = steps.findIndex((c) => /^(sudo )?chown -R 1000:1000 state$/.test(c));
    expect(mkdir, 'mkdir -p state').to.be.at.least(0);
    expect(chownState, 'chown -R 1000:1000 state, after it is made').to.be.greaterThan(mkdir);
    expect(
      steps.some((c) => /^(sudo )?chown 1000(:1000)? certs\/\S+\.key$/.test(c)),
      'the key owned by uid 1000',
    ).to.equal(true);
    expect(before.some((c) => c.startsWith('docker build -t proofpoint-devo-collector .'))).to.equal(true);
  });
});
