import { expect } from 'chai';

/** Resources that a finished test must not leave behind. */
const WATCHED = new Set(['TCPServerWrap', 'TCPSocketWrap', 'TLSWrap', 'Timeout', 'ChildProcess', 'ProcessWrap', 'FSEventWrap']);

function watched(): string[] {
  return process.getActiveResourcesInfo().filter((r) => WATCHED.has(r));
}

let baseline = 0;

/**
 * Mocha root hooks: after the whole run, every server, socket, timer and child process a test
 * opened must be closed (the suite runs with `--exit` only as a safety net, not to hide leaks).
 */
export const mochaHooks = {
  beforeAll(): void {
    baseline = watched().length;
  },
  async afterAll(): Promise<void> {
    const deadline = Date.now() + 3000;
    while (watched().length > baseline && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(watched(), 'handles left open by the tests').to.have.length.at.most(baseline);
  },
};
