#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultServices } from '../../pipelines/runtime/defaultServices';
import { startCollector } from '../../pipelines/runtime/runner';
import { configSecrets, type CollectorConfig } from '../config/collectorConfig';
import { checkWithoutEnvironment } from '../config/checkWithoutEnvironment';
import { ConfigError } from '../config/configError';
import { configWarnings } from '../config/configWarnings';
import { logInertSettings } from '../config/inertSettings';
import { keyFileModeWarning } from '../config/keyFileMode';
import { outputKey } from '../config/devoCredentials';
import { loadConfig } from '../config/loadConfig';
import { CollectorError, errorMessage } from '../errors/collectorError';
import { createLogger } from '../log/logger';
import { SecretRedactor } from '../log/secretRedactor';
import { checkStateDirectoryWritable } from '../state/checkStateDirectoryWritable';
import { installProcessGuard } from './processGuard';
import type { CommandIo } from './simulateCommand';
import { SIMULATE_USAGE } from './simulateUsage';
import { UsageError } from './usageError';

const HELP = `proofpoint-devo-collector: Proofpoint On Demand and CASB to Devo

Usage:
  proofpoint-devo-collector run --config FILE [--certs DIR] [--http ADDRESS:PORT]
      Run every enabled service until SIGTERM/SIGINT, then flush, persist and exit 0.
      --http (or globals.http_server) serves /metrics, /health, /ready and /status.
      Exits 1 at once, before pulling anything, on a config or certificate problem, without an
      enabled service, or when the state directory cannot be used: not writable
      (STATE_DIRECTORY_UNWRITABLE), another collector's (STATE_DIRECTORY_LOCKED), a state file it
      cannot read (STATE_UNREADABLE). A second SIGTERM/SIGINT exits 1 without waiting for the flush.
  proofpoint-devo-collector status --url http://HOST:PORT [--watch] [--interval SECONDS]
      Show a running collector's /status as tables; exit 0, or 1 when the collector cannot be
      reached or does not answer 200. --watch: refresh until Ctrl-C (on a terminal the screen is
      cleared, else each refresh follows a line with its time).
  proofpoint-devo-collector validate --config FILE [--certs DIR] [--no-environment]
      Check the config file and the certificates it names; exit 0, or 1 with one line per problem.
      --no-environment (for CI): check \${NAME} references for syntax only, without the
      environment variables, and do not read the certificate files.
${SIMULATE_USAGE.pod}
${SIMULATE_USAGE.casb}
${SIMULATE_USAGE.devo}
  proofpoint-devo-collector demo [--dir DIR] [--duration SECONDS] [--rate N] [--http-port N]
      Throwaway certificates, the simulators, two outputs (a local Devo receiver and a syslog
      relay) and the pipelines (npm start).
  proofpoint-devo-collector --help | --version

Options:
  --config FILE   Devo-style config.yaml (see config/config.example.yaml)
  --certs DIR     where relative chain/cert/key paths resolve (default ./certs)
  --no-environment  (validate) without environment variables and certificate files

Exit codes:
  0  done (run: stopped by SIGTERM/SIGINT after the flush)
  1  a problem, printed: configuration, certificates, state directory, an unreachable collector
  2  a command line that cannot be run as given (unknown command or option, a missing flag)

Relative paths: certificates under --certs, the state directory under the current directory.
\${NAME} in the config is replaced by the environment variable NAME.`;

function stdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

function stderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

function loadOptions(flags: { certs?: string | undefined }) {
  return { env: process.env, baseDir: process.cwd(), ...(flags.certs === undefined ? {} : { certsDir: flags.certs }) };
}

function validateFlags(args: string[]) {
  return parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, certs: { type: 'string' }, 'no-environment': { type: 'boolean' } },
    strict: true,
  }).values;
}

function requireConfig(value: string | undefined): string {
  if (value === undefined) throw new UsageError('--config FILE is required');
  return value;
}

function commandIo(): CommandIo {
  return {
    out: stdout,
    terminal: process.stdout.isTTY === true,
    stopSignal: new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    }),
  };
}

async function validate(args: string[]): Promise<number> {
  const flags = validateFlags(args);
  const file = requireConfig(flags.config);
  if (flags['no-environment'] === true) {
    const { config, references } = await checkWithoutEnvironment(file, {
      baseDir: process.cwd(),
      ...(flags.certs === undefined ? {} : { certsDir: flags.certs }),
    });
    const unchecked = references.length === 0 ? '' : ` ${references.length} setting(s) with \${NAME} references checked for syntax only.`;
    if (config !== undefined) printWarnings(file, await configWarnings(config, { files: false }));
    stdout(`${file}: valid without the environment (certificate files not read).${unchecked}${config === undefined ? '' : ` ${describeServices(config)}`}`);
    return 0;
  }
  const config = await loadConfig(file, loadOptions(flags));
  printWarnings(file, await configWarnings(config));
  stdout(`${file}: valid. ${describeServices(config)}`);
  return 0;
}

/** What `run` would warn about, on stderr as validate's problems are, under a count; the verdict stays on stdout. */
function printWarnings(file: string, warnings: readonly string[]): void {
  if (warnings.length === 0) return;
  stderr(`${file}: ${warnings.length} warning(s):`);
  for (const warning of warnings) stderr(warning);
}

function describeServices(config: CollectorConfig): string {
  const names = [
    ...(config.pod?.enabled === true ? config.pod.services.map((s) => `pod/${s.name}`) : []),
    ...(config.casb?.enabled === true ? config.casb.services.map((s) => `casb/${s.name}`) : []),
  ];
  return names.length === 0 ? 'No enabled service.' : `Enabled services: ${names.join(', ')}.`;
}

/** `--http ADDR:PORT` (`0.0.0.0:9464`, `[::]:9464`, or `9464` for loopback). */
function httpFlag(value: string | undefined): { address: string; port: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (match === null || !(port >= 0 && port <= 65535))
    throw new UsageError(`--http expects ADDRESS:PORT (e.g. 0.0.0.0:9464; port 0: any free one) or PORT, got ${JSON.stringify(value)}`);
  return { address: match[1] === undefined || match[1] === '' ? '127.0.0.1' : match[1], port };
}

async function run(args: string[]): Promise<number> {
  const flags = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, certs: { type: 'string' }, http: { type: 'string' } },
    strict: true,
  }).values;
  const file = requireConfig(flags.config);
  const http = httpFlag(flags.http);
  const config = await loadConfig(file, loadOptions(flags));
  const redactor = new SecretRedactor(configSecrets(config));
  // A console output owns standard output (its lines, for piping): the collector's own log goes to standard error.
  const logLine = config.outputs.some((o) => o.kind === 'console') ? stderr : stdout;
  const logger = createLogger({ debug: config.collector.debug, redactor, write: logLine });
  installProcessGuard(logger, (code) => process.exit(code));
  // Before anything is pulled: events delivered without their cursors saved are pulled again.
  await checkStateDirectoryWritable(config.stateDirectory);
  logInertSettings(config, logger);
  for (const output of config.outputs) {
    const keyMode = await keyFileModeWarning(outputKey(output));
    if (keyMode !== undefined) logger.warn(keyMode);
  }
  const collector = await startCollector(config, {
    logger,
    services: defaultServices,
    writeLine: logLine,
    stdout: process.stdout,
    ...(http === undefined ? {} : { http }),
  });
  if (collector.services.length === 0) {
    logger.error(`No enabled service in ${file}: enable one under inputs.proofpoint_on_demand.services or inputs.proofpoint_casb.services`);
    await collector.stop();
    return 1;
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.error(`${signal} again: exiting without waiting for the flush`);
      process.exit(1);
    }
    logger.info(`${signal} received`);
    void collector.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await collector.done;
  await collector.stop();
  return 0;
}

async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs one command line; returns the exit code. Only this module touches `process`. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (command !== 'simulate' && (args.includes('--help') || args.includes('-h'))) {
      stdout(HELP);
      return 0;
    }
    switch (command) {
      case 'run':
        return await run(args);
      case 'validate':
        return await validate(args);
      // The simulators and the throwaway PKI are loaded only for the commands that use them:
      // a collector run does not carry their memory.
      case 'simulate':
        return await (await import('./simulateCommand.js')).simulateCommand(args, commandIo());
      case 'demo':
        return await (await import('./demoCommand.js')).demoCommand(args, commandIo());
      case 'status':
        return await (await import('./statusCommand.js')).statusCommand(args, commandIo());
      case '--version':
      case '-v':
        stdout(await version());
        return 0;
      case '--help':
      case '-h':
      case 'help':
        stdout(HELP);
        return 0;
      default:
        stderr(command === undefined ? HELP : `Unknown command "${command}".\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      stderr(`${err.source}: ${err.problems.length} problem(s):`);
      for (const problem of err.problems) stderr(problem);
      return 1;
    }
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      stderr(`${err.message}\n\nRun with --help for usage.`);
      return 2;
    }
    if (err instanceof CollectorError) {
      stderr(`${err.code}: ${err.message}`);
      return 1;
    }
    stderr(`Unexpected error: ${errorMessage(err)}`);
    if (err instanceof Error && err.stack !== undefined) stderr(err.stack);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // Everything is flushed and closed by now; do not let a stray handle keep the process alive.
    setTimeout(() => process.exit(code), 2000).unref();
  });
}
