import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DevoReceiver } from '../simulators/devoReceiver';
import type { PodEventType } from '../simulators/podEvents';
import { CasbSimulator } from '../simulators/casbSimulator';
import { PodSimulator } from '../simulators/podSimulator';
import { receiverPki } from './receiverPki';
import { SIMULATE_USAGE } from './simulateUsage';
import { UsageError } from './usageError';

/** What the CLI gives a command: output lines, and a promise that resolves on SIGTERM/SIGINT. */
export interface CommandIo {
  readonly out: (line: string) => void;
  readonly stopSignal: Promise<void>;
  /** Whether `out` writes to a terminal (screen control codes then make sense). Default false. */
  readonly terminal?: boolean;
}

function numberFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name}: expected a number >= 0, got "${value}"`);
  return n;
}

/** `simulate pod|casb|devo …`: runs one simulator until the stop signal; `--help` prints its usage. */
export async function simulateCommand(args: string[], io: CommandIo): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === '--help' || kind === '-h') {
    io.out(Object.values(SIMULATE_USAGE).join('\n'));
    return 0;
  }
  if ((kind === 'devo' || kind === 'pod' || kind === 'casb') && (rest.includes('--help') || rest.includes('-h'))) {
    io.out(SIMULATE_USAGE[kind]);
    return 0;
  }
  if (kind === 'devo') return simulateDevo(rest, io);
  if (kind === 'pod') return simulatePod(rest, io);
  if (kind === 'casb') return simulateCasb(rest, io);
  throw new UsageError(`simulate: expected "pod", "casb" or "devo", got ${kind === undefined ? 'nothing' : `"${kind}"`}`);
}

async function simulateDevo(args: string[], io: CommandIo): Promise<number> {
  const flags = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      pki: { type: 'string' },
      ca: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      out: { type: 'string', default: 'demo/received.log' },
      plain: { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
  const outputFile = path.resolve(flags.out);
  if (flags.plain === true) {
    if (flags.pki !== undefined || flags.ca !== undefined || flags.cert !== undefined || flags.key !== undefined) {
      throw new UsageError('simulate devo: --plain takes no certificates (--pki, --ca, --cert, --key): it is a plain TCP syslog relay');
    }
    const port = numberFlag('port', flags.port, 13000);
    const receiver = await DevoReceiver.start({ host: flags.host, port, plain: true, outputFile });
    io.out(`Syslog relay (plain TCP) on ${flags.host}:${receiver.port}, writing one line per event to ${outputFile}`);
    return finishReceiver(receiver, io);
  }
  const pki = await receiverPki(flags);
  const receiver = await DevoReceiver.start({
    host: flags.host,
    port: numberFlag('port', flags.port, 6514),
    ca: pki.ca,
    cert: pki.cert,
    key: pki.key,
    outputFile,
  });
  // The certificates first: the "Devo receiver on" line says it is ready, and scripts wait for it.
  for (const line of pki.lines) io.out(line);
  io.out(`Devo receiver on ${flags.host}:${receiver.port}, writing one line per event to ${outputFile}`);
  return finishReceiver(receiver, io);
}

/** Runs a receiver until the stop signal, then says what it received. */
async function finishReceiver(receiver: DevoReceiver, io: CommandIo): Promise<number> {
  await io.stopSignal;
  await receiver.stop();
  const { lines, connections, bytes, bytesInflated } = receiver.stats;
  const gzip = bytes < bytesInflated ? ` (gzip: ${bytesInflated} bytes inflated, ${(bytesInflated / bytes).toFixed(1)}:1)` : '';
  io.out(`Received ${lines} event(s) on ${connections} connection(s), ${bytes} bytes on the wire${gzip}`);
  return 0;
}

async function simulatePod(args: string[], io: CommandIo): Promise<number> {
  const flags = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string', default: 'demo-token' },
      cluster: { type: 'string', default: 'demo_hosted' },
      types: { type: 'string', default: 'message,maillog,audit' },
      rate: { type: 'string', default: '50' },
      total: { type: 'string' },
      mode: { type: 'string', default: 'realtime' },
      duplicates: { type: 'string', default: '0.01' },
      disorder: { type: 'string', default: '4' },
      'drop-every': { type: 'string', default: '0' },
      'large-every': { type: 'string', default: '0' },
      'malformed-every': { type: 'string', default: '0' },
    },
    strict: true,
  }).values;
  if (flags.mode !== 'realtime' && flags.mode !== 'blast') throw new UsageError(`--mode: expected realtime or blast, got "${flags.mode}"`);
  const types = flags.types.split(',').map((t) => t.trim());
  for (const t of types) {
    if (t !== 'message' && t !== 'maillog' && t !== 'audit') throw new UsageError(`--types: expected message, maillog or audit, got "${t}"`);
  }
  const sim = await PodSimulator.start({
    host: flags.host,
    port: numberFlag('port', flags.port, 8080),
    token: flags.token,
    clusterId: flags.cluster,
    types: types as PodEventType[],
    rate: numberFlag('rate', flags.rate, 50),
    total: numberFlag('total', flags.total, Infinity),
    mode: flags.mode,
    duplicateRate: numberFlag('duplicates', flags.duplicates, 0.01),
    disorderWindow: Math.max(1, numberFlag('disorder', flags.disorder, 4)),
    dropEveryFrames: numberFlag('drop-every', flags['drop-every'], 0),
    largeEvery: numberFlag('large-every', flags['large-every'], 0),
    malformedEvery: numberFlag('malformed-every', flags['malformed-every'], 0),
  });
  io.out(`PoD Log API simulator on ${sim.url}/v1/stream (cid=${flags.cluster}, token=${flags.token}, types ${types.join(', ')})`);
  await io.stopSignal;
  const stats = sim.stats;
  await sim.stop();
  io.out(`Sent ${stats.eventsSent} event(s), ${stats.duplicatesSent} duplicate(s), ${stats.malformedSent} malformed frame(s) in ${stats.sessions} session(s)`);
  return 0;
}

async function simulateCasb(args: string[], io: CommandIo): Promise<number> {
  const flags = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8081' },
      host: { type: 'string', default: '127.0.0.1' },
      'api-key': { type: 'string', default: 'demo-api-key' },
      'client-id': { type: 'string', default: 'demo-client' },
      'client-secret': { type: 'string', default: 'demo-secret' },
      'interval-ms': { type: 'string', default: '1000' },
      total: { type: 'string' },
      mode: { type: 'string', default: 'realtime' },
      'token-ttl': { type: 'string', default: '3600' },
      'rate-limit-every': { type: 'string', default: '0' },
      'fail-every': { type: 'string', default: '0' },
    },
    strict: true,
  }).values;
  if (flags.mode !== 'realtime' && flags.mode !== 'backlog') throw new UsageError(`--mode: expected realtime or backlog, got "${flags.mode}"`);
  const total = numberFlag('total', flags.total, Infinity);
  const timeline = { startTime: Date.now() - 3_600_000, intervalMs: Math.max(1, numberFlag('interval-ms', flags['interval-ms'], 1000)) };
  const sim = await CasbSimulator.start({
    host: flags.host,
    port: numberFlag('port', flags.port, 8081),
    apiKey: flags['api-key'],
    clientId: flags['client-id'],
    clientSecret: flags['client-secret'],
    alerts: { timeline, total },
    events: { timeline, total },
    mode: flags.mode,
    tokenTtlSeconds: Math.max(1, numberFlag('token-ttl', flags['token-ttl'], 3600)),
    rateLimitEvery: numberFlag('rate-limit-every', flags['rate-limit-every'], 0),
    failEvery: numberFlag('fail-every', flags['fail-every'], 0),
  });
  io.out(`Proofpoint CASB API simulator on ${sim.url} (x-api-key ${flags['api-key']}, client ${flags['client-id']})`);
  await io.stopSignal;
  const stats = sim.stats;
  await sim.stop();
  io.out(
    `Served ${stats.alertsServed} alert(s) and ${stats.eventsServed} event(s); ${stats.tokensIssued} token(s), ${stats.rateLimited} 429(s), ${stats.failures} failure(s)`,
  );
  return 0;
}
