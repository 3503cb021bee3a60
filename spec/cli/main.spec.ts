import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { writeCertFiles } from '../helpers/certFiles';
import { CONTAINER_UID, otherUserFixture, runAs } from '../helpers/otherUser';
import { sharedPki } from '../helpers/pki';
import { runCli } from '../helpers/runCli';
import { dirWithCerts } from '../helpers/dirWithCerts';

export { runCli };

describe('CLI', () => {
  const work = dirWithCerts();

  it('prints usage for --help and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).to.equal(0);
    expect(stdout)
      .to.match(/run --config FILE/)
      .and.match(/validate --config FILE/)
      .and.match(/simulate devo/);
    expect(stdout)
      .to.match(/validate --config FILE \[--certs DIR\] \[--no-environment\]/)
      .and.match(/--no-environment \(for CI\): check \$\{NAME\} references for syntax only/);
  });

  it('exits 2 with usage on an unknown command or option', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/Unknown command "frobnicate"/);
    const badFlag = await runCli(['validate', '--nope']);
    expect(badFlag.code).to.equal(2);
    expect(badFlag.stderr).to.match(/--nope/);
    const missing = await runCli(['validate']);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.match(/--config FILE is required/);
  });

  it('validate exits 0 on a good file, resolving certificates under ./certs of the working directory', async () => {
    await writeFile(
      path.join(work.dir, 'config.yaml'),
      `globals: { id: "1", name: demo }
outputs:
  devo_1: { type: devo_platform, config: { address: localhost, port: 6514, type: SSL, chain: chain.crt, cert: client.crt, key: client.key } }
inputs:
  proofpoint_on_demand:
    id: "1"
    credentials: { cluster_id: c, api_token: "\${TOKEN}" }
    services: { message: {} }
`,
    );
    const { code, stdout, stderr } = await runCli(['validate', '--config', 'config.yaml'], { cwd: work.dir, env: { TOKEN: 'tok-secret-1' } });
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
    expect(stdout).to.equal('config.yaml: valid. Enabled services: pod/message.\n');
  });

  it('validate exits 1 with one line per problem, never printing a secret', async () => {
    await writeFile(
      path.join(work.dir, 'config.yaml'),
      `globals: { id: "1", name: demo }
outputs:
  devo_1: { type: devo_platform, config: { address: localhost, port: "x", type: SSL, chain: chain.crt, cert: nope.crt, key: client.key } }
inputs:
  proofpoint_casb:
    id: "1"
    credentials: { api_key: "\${KEY}", client_id: c, client_secret: 12345678 }
    services: { alerts: { request_period_in_seconds: ten } }
`,
    );
    const { code, stdout, stderr } = await runCli(['validate', '--config', 'config.yaml'], { cwd: work.dir, env: { KEY: 'very-secret-key' } });
    expect(code).to.equal(1);
    expect(stdout).to.equal('');
    expect(stderr.trimEnd().split('\n')).to.deep.equal([
      'config.yaml: 3 problem(s):',
      'outputs.devo_1.config.port: expected a port number (1-65535), got "x"',
      'inputs.proofpoint_casb.credentials.client_secret: expected a non-empty string without control characters or line breaks (secret), got a number',
      'inputs.proofpoint_casb.services.alerts.request_period_in_seconds: expected a positive integer, got "ten"',
    ]);
    expect(stderr).not.to.include('very-secret-key').and.not.to.include('12345678');
  });

  it('validate reports certificate problems after the settings are fixed', async () => {
    await writeFile(
      path.join(work.dir, 'config.yaml'),
      `globals: { id: "1", name: demo }
outputs:
  devo_1: { type: devo_platform, config: { address: localhost, port: 6514, type: SSL, chain: chain.crt, cert: nope.crt, key: client.key } }
inputs: {}
`,
    );
    const { code, stderr } = await runCli(['validate', '--config', 'config.yaml'], { cwd: work.dir });
    expect(code).to.equal(1);
    expect(stderr).to.include(`outputs.devo_1.config.cert: file not found: ${path.join(work.dir, 'certs', 'nope.crt')}`);
  });

  it('validate --no-environment checks a file in CI: no variables, no certificate files', async () => {
    await writeFile(
      path.join(work.dir, 'config.yaml'),
      `globals: { id: "1", name: demo, queue_max_size_in_messages: 10000, queue_max_size_in_mb: 1024 }
outputs:
  devo_1: { type: devo_platform, config: { address: localhost, port: 6514, type: SSL, chain: chain.crt, cert: absent.crt, key: absent.key } }
inputs:
  proofpoint_on_demand:
    id: "1"
    credentials: { cluster_id: "\${CLUSTER}", api_token: "\${TOKEN}" }
    services: { message: {} }
`,
    );
    const offline = await runCli(['validate', '--config', 'config.yaml', '--no-environment'], { cwd: work.dir });
    expect(offline.stderr).to.equal('');
    expect(offline.code).to.equal(0);
    expect(offline.stdout).to.equal(
      'config.yaml: valid without the environment (certificate files not read). 2 setting(s) with ${NAME} references checked for syntax only. Enabled services: pod/message.\n',
    );
    // Without the flag, the same file needs its variables and certificates.
    const online = await runCli(['validate', '--config', 'config.yaml'], { cwd: work.dir });
    expect(online.code).to.equal(1);
    expect(online.stderr).to.include('environment variable TOKEN is not set');
  });

  it('validate --no-environment still exits 1 on a bad setting or a malformed reference', async () => {
    await writeFile(
      path.join(work.dir, 'config.yaml'),
      `globals: { id: "1", name: demo, queue_max_size_in_mb: 9999 }
outputs:
  devo_1: { type: devo_platform, config: { address: localhost, port: 6514, type: SSL, chain: chain.crt, cert: client.crt, key: client.key } }
inputs:
  proofpoint_on_demand:
    id: "1"
    credentials: { cluster_id: "\${CLUSTER", api_token: "\${TOKEN}" }
    services: { message: {} }
`,
    );
    const { code, stdout, stderr } = await runCli(['validate', '--config', 'config.yaml', '--no-environment'], { cwd: work.dir });
    expect(code).to.equal(1);
    expect(stdout).to.equal('');
    expect(stderr.trimEnd().split('\n')).to.deep.equal([
      'config.yaml: 2 problem(s):',
      'inputs.proofpoint_on_demand.credentials.cluster_id: malformed reference "${CLUSTER": write ${NAME} (letters, digits and _, not starting with a digit), or $${ for a literal ${',
      'globals.queue_max_size_in_mb: expected an integer from 1 to 5120, got 9999',
    ]);
  });

  it('run logs once, at start, each Devo setting that has no effect here', async () => {
    await writeFile(
      path.join(work.dir, 'config.yaml'),
      `globals: { id: "1", name: demo, queue_max_size_in_mb: 1024, queue_max_size_in_messages: 10000, queue_max_elapsed_time_in_sec: 60, queue_wrap_max_size_in_messages: 100 }
outputs:
  devo_1: { type: devo_platform, config: { address: localhost, port: 6514, type: SSL, chain: chain.crt, cert: client.crt, key: client.key, sending_retries: 5 } }
inputs: {}
`,
    );
    const { code, stdout } = await runCli(['run', '--config', 'config.yaml'], { cwd: work.dir });
    expect(code).to.equal(1);
    const inert = stdout.split('\n').filter((l) => l.includes("is accepted for compatibility with Devo's collector but has no effect here"));
    expect(inert.map((l) => l.replace(/^.* -> (\S+) is accepted.*$/, '$1'))).to.deep.equal([
      'globals.queue_max_elapsed_time_in_sec',
      'globals.queue_wrap_max_size_in_messages',
      'outputs.devo_1.config.sending_retries',
    ]);
    expect(inert.every((l) => / WARNING MainProcess::MainThread -> /.test(l))).to.equal(true);
  });

  it('run exits 1 before starting anything when the state directory cannot be written, saying what to do', async () => {
    await writeFile(path.join(work.dir, 'not-a-directory'), 'a file');
    await writeFile(
      path.join(work.dir, 'config.yaml'),
      `globals: { id: "1", name: demo, persistence: { type: filesystem, config: { directory_name: not-a-directory/state } } }
outputs:
  devo_1: { type: devo_platform, config: { address: localhost, port: 6514, type: SSL, chain: chain.crt, cert: client.crt, key: client.key } }
inputs:
  proofpoint_on_demand:
    id: "1"
    credentials: { cluster_id: c, api_token: t-123456 }
    services: { message: {} }
`,
    );
    const { code, stdout, stderr } = await runCli(['run', '--config', 'config.yaml'], { cwd: work.dir });
    expect(code).to.equal(1);
    expect(stderr).to.include(
      `STATE_DIRECTORY_UNWRITABLE: The state directory ${path.join(work.dir, 'not-a-directory', 'state')} (globals.persistence.config.directory_name) is not writable: cannot create it`,
    );
    expect(stdout).not.to.match(/started with|Service /);
  });

  it('run, as the container user (uid 1000), exits 1 on a root-owned state directory and tells the chown', async function () {
    // Only root can start a process as another user; a non-root run is covered by the spec of the check.
    if (process.geteuid?.() !== 0) this.skip();
    // A fixture uid 1000 can reach, wherever the checkout sits (a CI clone may be in a 0700 directory).
    const other = await otherUserFixture();
    const { dir: home, remove: removeHome } = await other.tempDir();
    try {
      const { chown, mkdir } = await import('node:fs/promises');
      await writeCertFiles(path.join(home, 'certs'), await sharedPki());
      await chown(path.join(home, 'certs', 'client.key'), CONTAINER_UID, CONTAINER_UID);
      await mkdir(path.join(home, 'state'), { mode: 0o755 }); // as Docker creates a missing bind-mount source: root's
      await writeFile(
        path.join(home, 'config.yaml'),
        `globals: { id: "1", name: demo }
outputs:
  devo_1: { type: devo_platform, config: { address: localhost, port: 6514, type: SSL, chain: chain.crt, cert: client.crt, key: client.key } }
inputs:
  proofpoint_on_demand:
    id: "1"
    credentials: { cluster_id: c, api_token: t-123456 }
    services: { message: {} }
`,
      );
      const { code, stderr } = await runAs(CONTAINER_UID, other.node, [other.cli, 'run', '--config', 'config.yaml'], home);
      expect(code).to.equal(1);
      expect(stderr).to.match(
        /^STATE_DIRECTORY_UNWRITABLE: The state directory .*\/state \(globals\.persistence\.config\.directory_name\) is not writable: cannot create a file in it .*EACCES/,
      );
      expect(stderr).to.include(`The collector runs as uid 1000: run \`chown -R 1000:1000 ${path.join(home, 'state')}\``);
    } finally {
      await removeHome();
    }
  });

  it('demo (npm start) runs the simulators and the pipelines to two outputs, each receiver writes what it would get, again at a second start', async function () {
    this.timeout(45_000);
    const { code, stdout } = await runCli(['demo', '--duration', '4', '--dir', 'd'], { cwd: work.dir });
    expect(code).to.equal(0);
    expect(stdout).to.match(/collector runs pod\/message, pod\/maillog, pod\/audit, casb\/alerts, casb\/events/);
    const received = (await readFile(path.join(work.dir, 'd', 'received.log'), 'utf8')).trimEnd().split('\n');
    expect(received.length).to.be.greaterThan(10);
    expect(received.some((l) => /^<14>\S+Z demo-collector mail\.proofpoint\.pod\.(message|maillog|audit): \{/.test(l))).to.equal(true);
    expect(received.some((l) => /^<14>\S+Z demo-collector casb\.proofpoint\.(alert|event): \{.*"@devo_pulling_id":"\d+"\}$/.test(l))).to.equal(true);
    // Two outputs, a Devo receiver (TLS) and a syslog relay (plain TCP): every event at both, each counted on its own.
    const relayed = (await readFile(path.join(work.dir, 'd', 'relayed.log'), 'utf8')).trimEnd().split('\n');
    expect([...new Set(relayed)].sort()).to.deep.equal([...new Set(received)].sort());
    const stopped = /demo: stopped\. (\d+) event\(s\) delivered to (\S+) \(devo_1\), (\d+) to (\S+) \(relay_1\);/.exec(stdout);
    expect(stopped, 'the summary names both outputs').to.not.equal(null);
    expect(stopped!.slice(1)).to.deep.equal([
      String(received.length),
      path.join(work.dir, 'd', 'received.log'),
      String(relayed.length),
      path.join(work.dir, 'd', 'relayed.log'),
    ]);
    expect(stdout).to.match(/syslog relay \(relay_1\) got \d+ line\(s\); Devo receiver \(devo_1\) got \d+ line\(s\)/);
    expect(stdout).to.match(/demo: faults are staged on purpose.*the warnings they cause are expected/);
    expect(stdout).to.match(/"generated and sent" .* count what both outputs confirmed reading/);
    // The demo compresses (threshold -1): the receiver inflates the members and shows the saving.
    const ratio = /Devo receiver \(devo_1\) got \d+ line\(s\), (\d+) bytes on the wire for (\d+) inflated \(gzip, [\d.]+:1\)\s*$/m.exec(stdout);
    expect(ratio, 'the demo prints the gzip ratio').to.not.equal(null);
    expect(Number(ratio![1])).to.be.lessThan(Number(ratio![2]));
    // A second demo in the same directory shows PoD events again: it does not filter them against the first one's state.
    const again = await runCli(['demo', '--duration', '4', '--dir', 'd'], { cwd: work.dir });
    expect(again.code).to.equal(0);
    expect(again.stdout).to.match(/demo: starting from an empty state in \S+d\/state/);
    const second = (await readFile(path.join(work.dir, 'd', 'received.log'), 'utf8')).trimEnd().split('\n');
    expect(second.filter((l) => / mail\.proofpoint\.pod\.message: /.test(l)).length).to.be.greaterThan(5);
  });

  it('run exits 1 with a clear message when no service is enabled', async () => {
    await writeFile(
      path.join(work.dir, 'config.yaml'),
      `globals: { id: "1", name: demo }
outputs:
  devo_1: { type: devo_platform, config: { address: localhost, port: 6514, type: SSL, chain: chain.crt, cert: client.crt, key: client.key } }
inputs: {}
`,
    );
    const { code, stdout } = await runCli(['run', '--config', 'config.yaml'], { cwd: work.dir });
    expect(code).to.equal(1);
    expect(stdout).to.match(/ERROR MainProcess::MainThread -> No enabled service in config\.yaml: enable one under inputs\./);
  });
});
