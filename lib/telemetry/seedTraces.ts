import { readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { asyncScheduler, interval, Subscription, type SchedulerLike } from 'rxjs';
import type { Logger } from '../log/logger';
import type { SenderTelemetry } from './senderTelemetry';

/** One output in the traces: its name in the config (`devo_1`), what it sends to, its sender's telemetry. */
export interface SeedOutput {
  readonly name: string;
  /** `syslog` traces as `SyslogSenderManagerMonitor`/`SyslogSender`; the others as `DevoSenderManagerMonitor`/`DevoSender`. */
  readonly kind: 'devo' | 'syslog' | 'console';
  readonly sender: SenderTelemetry;
}

/** Options of {@link startSeedTraces}. */
export interface SeedTracesOptions {
  /** The root logger; the traces go to `OutputProcess::…` children of it. */
  readonly logger: Logger;
  /** Each output, in file order: the traces name each as Devo's collectors do. */
  readonly outputs: readonly SeedOutput[];
  /** Sender traces every this long (`globals.sender_stats_period_in_sec`). */
  readonly senderPeriodMs: number;
  /** Memory trace every this long. Default 5 minutes, as the seeds say. */
  readonly memoryPeriodMs?: number;
  readonly now?: () => number;
  readonly scheduler?: SchedulerLike;
  /** Reads the process's memory (for tests). Default: `process.memoryUsage().rss` and Linux's VmSize. */
  readonly memory?: () => { readonly rss: number; readonly vms: number | undefined; readonly globalPercent: number };
}

/** `2022-06-28 10:39:22.511000+00:00`: a time as the seeds' Python prints it. */
function pythonTime(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}000+00:00`;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(2)}MiB`;
}

function readMemory(): { rss: number; vms: number | undefined; globalPercent: number } {
  let vms: number | undefined;
  try {
    const kb = /VmSize:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb !== undefined) vms = Number(kb) * 1024;
  } catch {
    // not Linux
  }
  return { rss: process.memoryUsage().rss, vms, globalPercent: (1 - freemem() / totalmem()) * 100 };
}

/**
 * The periodic log lines Devo's users grep for, in the seeds' shape. Every `senderPeriodMs`, for
 * each output, under `OutputProcess::DevoSenderManagerMonitor(standard_senders,<name>)` (a
 * syslog output: `SyslogSenderManagerMonitor`, its sender `SyslogSender(standard_senders,syslog_sender_0)`):
 * `Number of available senders: 1, sender manager internal queue size: N`,
 * `Sender: DevoSender(standard_senders,devo_sender_0), status: {"internal_queue_size": N, "is_connection_open": True}`
 * and `Standard - Total number of messages sent: T, messages sent since "<time>": M (elapsed S seconds)`;
 * every `memoryPeriodMs`, `[GC] global: a% -> b%, process: RSS(x MiB -> y MiB), VMS(… -> …)`
 * (from the previous trace to now: Node frees memory on its own schedule). Unsubscribe to stop.
 */
export function startSeedTraces(options: SeedTracesOptions): Subscription {
  const scheduler = options.scheduler ?? asyncScheduler;
  const now = options.now ?? Date.now;
  const memory = options.memory ?? readMemory;
  const main = options.logger.child('OutputProcess::MainThread');
  let before = memory();
  const subscription = new Subscription();
  for (const output of options.outputs) subscription.add(senderTraces(output, options.logger, options.senderPeriodMs, scheduler, now));
  subscription.add(
    interval(options.memoryPeriodMs ?? 300_000, scheduler).subscribe(() => {
      const after = memory();
      const vms = before.vms === undefined || after.vms === undefined ? '' : `, VMS(${mib(before.vms)} -> ${mib(after.vms)})`;
      main.info(
        `[GC] global: ${before.globalPercent.toFixed(1)}% -> ${after.globalPercent.toFixed(1)}%, process: RSS(${mib(before.rss)} -> ${mib(after.rss)})${vms}`,
      );
      before = after;
    }),
  );
  return subscription;
}

/** One output's sender traces every `periodMs`. */
function senderTraces(output: SeedOutput, logger: Logger, periodMs: number, scheduler: SchedulerLike, now: () => number): Subscription {
  const syslog = output.kind === 'syslog';
  const monitor = logger.child(`OutputProcess::${syslog ? 'Syslog' : 'Devo'}SenderManagerMonitor(standard_senders,${output.name})`);
  const senderName = syslog ? 'SyslogSender(standard_senders,syslog_sender_0)' : 'DevoSender(standard_senders,devo_sender_0)';
  const { sender } = output;
  let since = now();
  let sentBefore = sender.linesWritten;
  return interval(periodMs, scheduler).subscribe(() => {
    const at = now();
    const queued = sender.queuedLines();
    monitor.info(`Number of available senders: 1, sender manager internal queue size: ${queued}`);
    monitor.info(`Sender: ${senderName}, status: {"internal_queue_size": ${queued}, "is_connection_open": ${sender.connected ? 'True' : 'False'}}`);
    monitor.info(
      `Standard - Total number of messages sent: ${sender.linesWritten}, messages sent since "${pythonTime(since)}": ${sender.linesWritten - sentBefore} (elapsed ${((at - since) / 1000).toFixed(3)} seconds)`,
    );
    since = at;
    sentBefore = sender.linesWritten;
  });
}
