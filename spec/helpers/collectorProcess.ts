import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const CLI = path.join(__dirname, '..', '..', 'lib', 'cli', 'main.js');

/** The built CLI running as a child process, as a user or a container runs it. */
export class CollectorProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(args: string[], options: { cwd: string; env?: Record<string, string> }) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: { PATH: process.env['PATH'] ?? '', ...options.env } });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The process id (for /proc). */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Kills the process if it is still running (for test cleanup). */
  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
