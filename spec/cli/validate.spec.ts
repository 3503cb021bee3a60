import { expect } from 'chai';
import { chmod, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { runCli } from '../helpers/runCli';
import { dirWithCerts } from '../helpers/dirWithCerts';

describe('CLI validate: the warnings run would print', () => {
  const work = dirWithCerts();

  it('prints, on stderr with a count, each setting without effect, each cleartext URL and a key others can read; exits 0', async () => {
    await writeFile(
      path.join(work.dir, 'config.yaml'),
      `globals: { id: "1", name: demo, queue_wrap_max_size_in_messages: 100 }
outputs:
  devo_1: { type: devo_platform, config: { address: localhost, port: 6514, type: SSL, chain: chain.crt, cert: client.crt, key: client.key, sending_retries: 5 } }
inputs:
  proofpoint_on_demand:
    id: "1"
    override_url_base: ws://pod.example.com:8080
    credentials: { cluster_id: c, api_token: "\${TOKEN}" }
    services: { message: {} }
`,
    );
    const key = path.join(work.dir, 'certs', 'client.key');
    await chmod(key, 0o644);
    const { code, stdout, stderr } = await runCli(['validate', '--config', 'config.yaml'], { cwd: work.dir, env: { TOKEN: 'tok-secret-1' } });
    expect(code).to.equal(0);
    expect(stdout).to.equal('config.yaml: valid. Enabled services: pod/message.\n');
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).to.equal('config.yaml: 4 warning(s):');
    expect(lines[1]).to.match(
      /^globals\.queue_wrap_max_size_in_messages is accepted for compatibility with Devo's collector but has no effect here: batches are cut by count, bytes and delay \(outputs\.devo_1\.config\.batch_max_events/,
    );
    expect(lines[2]).to.match(/^outputs\.devo_1\.config\.sending_retries is accepted for compatibility/);
    expect(lines[3]).to.match(/^inputs\.proofpoint_on_demand\.services\.message\.override_url_base .* is ws:\/\/pod\.example\.com:8080, not wss:\/\//);
    expect(lines[4]).to.equal(
      `outputs.devo_1.config.key: the private key ${key} can be read by other users (mode 0644): run chmod 600 ${key} (only the collector's user should read it)`,
    );
    expect(lines).to.have.length(5);
    expect(stderr).not.to.include('tok-secret-1');
  });

  it('--no-environment prints the settings without effect too', async () => {
    await writeFile(
      path.join(work.dir, 'config.yaml'),
      `globals: { id: "1", name: demo, queue_wrap_max_size_in_messages: 100 }
outputs:
  devo_1: { type: devo_platform, config: { address: localhost, port: 6514, type: SSL, chain: chain.crt, cert: client.crt, key: client.key } }
inputs:
  proofpoint_on_demand:
    id: "1"
    credentials: { cluster_id: c, api_token: "\${TOKEN}" }
    services: { message: {} }
`,
    );
    const { code, stderr } = await runCli(['validate', '--config', 'config.yaml', '--no-environment'], { cwd: work.dir });
    expect(code).to.equal(0);
    expect(stderr.trimEnd().split('\n')).to.have.length(2);
    expect(stderr).to.match(/^config\.yaml: 1 warning\(s\):\nglobals\.queue_wrap_max_size_in_messages is accepted for compatibility/);
  });

  it('run warns at start about a key others can read', async () => {
    await writeFile(
      path.join(work.dir, 'config.yaml'),
      `globals: { id: "1", name: demo }
outputs:
  devo_1: { type: devo_platform, config: { address: localhost, port: 6514, type: SSL, chain: chain.crt, cert: client.crt, key: client.key } }
inputs: {}
`,
    );
    await chmod(path.join(work.dir, 'certs', 'client.key'), 0o604);
    const { stdout } = await runCli(['run', '--config', 'config.yaml'], { cwd: work.dir });
    expect(stdout).to.match(
      / WARNING MainProcess::MainThread -> outputs\.devo_1\.config\.key: the private key \S+client\.key can be read by other users \(mode 0604\): run chmod 600 /,
    );
  });
});
