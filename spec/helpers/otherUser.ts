import { spawn } from 'node:child_process';
import { constants, rmSync } from 'node:fs';
import { chmod, copyFile, link, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** The checkout's top (dist/spec/helpers → ../../..). */
const TOP = path.join(__dirname, '..', '..', '..');

/** The uid (and gid) of the container's user. */
export const CONTAINER_UID = 1000;

/**
 * What a process of another user (the container's uid 1000) runs, in a place it can reach: the
 * checkout may sit in a private (0700) directory, as a CI clone in a private temp dir does, and
 * then another user cannot reach the built CLI, its node_modules or even node.
 */
export interface OtherUserFixture {
  /** node, reachable by any user (the running one, or a copy of it). */
  readonly node: string;
  /** `dist/lib/cli/main.js` of the copy. */
  readonly cli: string;
  /** `require`-able path of a built module, e.g. `lib/state/checkStateDirectoryWritable`. */
  module(relative: string): string;
  /** A fresh directory that any user can reach (mode 0755): a working directory, a state directory's parent. */
  tempDir(): Promise<{ dir: string; remove: () => Promise<void> }>;
}

let shared: Promise<OtherUserFixture> | undefined;

/**
 * The fixture of the specs that run the collector as another user (root only): one per test
 * process, built on first use, removed at exit. Files are hard-linked where the file system allows
 * it (a copy otherwise): the link lives under a directory others can reach, whatever the mode of
 * the checkout's own.
 */
export function otherUserFixture(): Promise<OtherUserFixture> {
  shared ??= build();
  return shared;
}

async function build(): Promise<OtherUserFixture> {
  const base = await reachableBase();
  const root = await mkdtemp(path.join(base, 'pdc-other-user-'));
  await chmod(root, 0o755);
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  for (const part of ['package.json', path.join('dist', 'lib'), path.join('dist', 'pipelines'), 'node_modules']) {
    await mirror(path.join(TOP, part), path.join(root, part));
  }
  let node = process.execPath;
  if (!(await reachable(path.dirname(node)))) {
    node = path.join(root, 'node');
    await mirror(process.execPath, node);
  }
  return {
    node,
    cli: path.join(root, 'dist', 'lib', 'cli', 'main.js'),
    module: (relative) => path.join(root, 'dist', relative),
    tempDir: async () => {
      const dir = await mkdtemp(path.join(base, 'pdc-'));
      await chmod(dir, 0o755);
      return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
    },
  };
}

/** Runs `node args…` as `uid` (root only) in `cwd`, with `env` besides PATH; resolves with its exit code and output. */
export function runAs(
  uid: number,
  node: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { cwd, uid, gid: uid, env: { PATH: process.env['PATH'] ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The first temp directory whose every ancestor others may traverse. */
async function reachableBase(): Promise<string> {
  for (const candidate of [tmpdir(), '/tmp', '/var/tmp']) {
    if (await reachable(candidate)) return candidate;
  }
  throw new Error('no temporary directory that another user can reach (tried $TMPDIR, /tmp, /var/tmp)');
}

/** True when `dir` and each of its ancestors can be traversed by any user. */
async function reachable(dir: string): Promise<boolean> {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const mode = await stat(at).then(
      (s) => s.mode,
      () => 0,
    );
    if ((mode & constants.S_IXOTH) === 0) return false;
    if (at === path.dirname(at)) return true;
  }
}

/** Hard-links (or, across file systems, copies) `from` to `to`, recursively; directories get mode 0755. */
async function mirror(from: string, to: string): Promise<void> {
  const info = await stat(from);
  if (info.isDirectory()) {
    await mkdir(to, { recursive: true, mode: 0o755 });
    await chmod(to, 0o755);
    for (const entry of await readdir(from)) await mirror(path.join(from, entry), path.join(to, entry));
    return;
  }
  // A link shares the file's mode: a file others cannot read is copied, and the copy opened to them.
  if ((info.mode & constants.S_IROTH) !== 0) await link(from, to).catch(() => copyFile(from, to));
  else {
    await copyFile(from, to);
    await chmod(to, info.mode | 0o444);
  }
}
