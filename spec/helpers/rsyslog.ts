import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { tempDir } from './tempDir';
import { sleep } from './waitFor';

/** A free loopback port (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A real rsyslogd with plain `imtcp` on a loopback port (a faithful Devo In-House Relay stand-in:
 * one syslog line per newline, FIN answered with FIN), writing each message as received
 * (`%rawmsg%`) to a file: `rsyslogd -n -f <temp config> -i <temp pid file>`.
 */
export class Rsyslog {
  private constructor(
    private child: ChildProcess | undefined,
    readonly port: number,
    readonly dir: string,
    private readonly remove: () => Promise<void>,
  ) {}

  get outputFile(): string {
    return path.join(this.dir, 'out.log');
  }

  static async start(port?: number): Promise<Rsyslog> {
    const { dir, remove } = await tempDir('pdc-rsyslog-');
    const relay = new Rsyslog(undefined, port ?? (await freePort()), dir, remove);
    await writeFile(
      path.join(dir, 'rsyslog.conf'),
      [
        `global(workDirectory="${dir}" maxMessageSize="256k")`,
        'module(load="imtcp")',
        `input(type="imtcp" address="127.0.0.1" port="${relay.port}")`,
        'template(name="raw" type="string" string="%rawmsg%\\n")',
        `action(type="omfile" file="${relay.outputFile}" template="raw" asyncWriting="off" flushOnTXEnd="on" ioBufferSize="64k")`,
        '',
      ].join('\n'),
    );
    await writeFile(relay.outputFile, '');
    await relay.listen();
    return relay;
  }

  /** Starts rsyslogd (again) on the same port and file; resolves once it accepts connections. */
  async listen(): Promise<void> {
    const child = spawn('rsyslogd', ['-n', '-f', path.join(this.dir, 'rsyslog.conf'), '-i', path.join(this.dir, 'rsyslog.pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`rsyslogd did not start listening on ${this.port}: ${stderr}`);
      await sleep(20);
    }
  }

  /** The lines received so far. */
  async lines(): Promise<string[]> {
    const text = await readFile(this.outputFile, 'utf8');
    return text.split('\n').filter((l) => l !== '');
  }

  /** Polls until at least `n` lines were written (or `timeoutMs`). */
  async waitForLines(n: number, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = await this.lines();
      if (lines.length >= n || Date.now() > deadline) return lines;
      await sleep(20);
    }
  }

  /** Stops rsyslogd (SIGTERM, or SIGKILL for a crash) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    await this.remove();
  }
}
