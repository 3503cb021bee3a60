import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const GUARD = path.join(__dirname, '..', '..', 'lib', 'cli', 'processGuard.js');
const LOGGER = path.join(__dirname, '..', '..', 'lib', 'log', 'logger.js');

/** Runs `body` in a fresh Node process with the guard installed; resolves with its exit code and output. */
function guarded(body: string): Promise<{ code: number | null; out: string }> {
  const script = `
    const { installProcessGuard } = require(${JSON.stringify(GUARD)});
    const { createLogger } = require(${JSON.stringify(LOGGER)});
    const { SecretRedactor } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'log', 'secretRedactor.js'))});
    installProcessGuard(createLogger({ redactor: new SecretRedactor(['s3cret-token']), write: (l) => process.stdout.write(l + '\\n') }), (code) => process.exit(code));
    ${body}`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('installProcessGuard (a real Node process)', () => {
  it('logs an unhandled rejection as UNHANDLED_REJECTION, redacted, and the process goes on', async () => {
    const { code, out } = await guarded(
      `Promise.reject(new Error('boom s3cret-token')); setTimeout(() => { console.log('still here'); process.exit(0); }, 200);`,
    );
    expect(out).to.match(/ERROR MainProcess::MainThread -> UNHANDLED_REJECTION: boom \S+ \(the process goes on/);
    expect(out).not.to.include('s3cret-token');
    expect(out).to.include('still here');
    expect(code).to.equal(0);
  });

  it('logs an uncaught exception as UNCAUGHT_EXCEPTION and exits 1', async () => {
    const { code, out } = await guarded(`setTimeout(() => { throw new Error('kaput'); }, 10); setTimeout(() => console.log('still here'), 500);`);
    expect(out).to.match(/ERROR MainProcess::MainThread -> UNCAUGHT_EXCEPTION: kaput; exiting with 1/);
    expect(out).not.to.include('still here');
    expect(code).to.equal(1);
  });
});
