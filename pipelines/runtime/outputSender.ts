import type { CollectorConfig, OutputConfig } from '../../lib/config/collectorConfig';
import type { DevoCredentials } from '../../lib/config/devoCredentials';
import type { CollectorError } from '../../lib/errors/collectorError';
import type { Logger } from '../../lib/log/logger';
import { ConsoleWriter, type ConsoleStream } from '../../lib/sinks/consoleWriter';
import { DevoSender, type DevoSenderOptions } from '../../lib/sinks/devoSender';
import type { OutputWriter } from '../../lib/sinks/outputWriter';
import { BalancedWriter } from '../../lib/sinks/balancedWriter';
import { FanOutWriter } from '../../lib/sinks/fanOutWriter';
import type { CollectorTelemetry } from '../../lib/telemetry/collectorTelemetry';
import type { SeedOutput } from '../../lib/telemetry/seedTraces';
import type { SenderTelemetry } from '../../lib/telemetry/senderTelemetry';
import { certificateFiles } from '../../lib/config/certificateFiles';

/** Timings of the Devo sender that tests and special relays may change (the defaults suit Devo). */
export type SenderTuning = Partial<
  Pick<DevoSenderOptions, 'idleProbeMs' | 'confirmAfterMs' | 'probationMs' | 'backoffInitialMs' | 'backoffMaxMs' | 'connectTimeoutMs'>
>;

/** What an output's writer is built with besides its config. */
export interface OutputSenderDeps {
  readonly logger: Logger;
  readonly telemetry: SenderTelemetry;
  readonly tuning?: SenderTuning;
  /** Where a console output writes (the CLI's standard output). */
  readonly stdout?: ConsoleStream;
  /** An output that can deliver nothing more (standard output closed): the runner stops. */
  readonly onFatal?: (error: CollectorError) => void;
}

/** What {@link outputSender} is built with: {@link OutputSenderDeps} with each output's own telemetry. */
export type OutputsDeps = Omit<OutputSenderDeps, 'telemetry'> & {
  /** The telemetry of the output named `name` (one per output). */
  readonly telemetry: (name: string) => SenderTelemetry;
};

/**
 * The one writer the pipelines see for a config's outputs: the output's own (see
 * {@link writerFor}) when there is one; with several, a {@link FanOutWriter} (every batch to every
 * output) or, with `globals.balanced_output: true`, a {@link BalancedWriter} (each batch to one in
 * turn), over one writer per output with its own telemetry. `credentials[i]` are `config.outputs[i]`'s.
 * Used by the single-thread runner (the whole collector's, or a `multiprocessing: true` worker's).
 */
export function outputSender(config: CollectorConfig, credentials: readonly DevoCredentials[], deps: OutputsDeps): OutputWriter {
  const writers = config.outputs.map((out, i) => writerFor(out, credentials[i] ?? {}, { ...deps, telemetry: deps.telemetry(out.name) }));
  if (writers.length === 1) return writers[0]!;
  return config.balancedOutput ? new BalancedWriter(writers) : new FanOutWriter(writers);
}

/**
 * The writer of one output: a {@link DevoSender} for Devo (mutual TLS) and for a syslog relay
 * (TLS with a chain, else plain TCP: the same queue, resend window and confirmation by
 * half-close), with its relay, credentials and timeouts and the settings its errors name; a
 * {@link ConsoleWriter} on standard output for `console` and `stdout`.
 */
export function writerFor(out: OutputConfig, credentials: DevoCredentials, deps: OutputSenderDeps): OutputWriter {
  const type = `outputs.${out.name}.type (${out.type})`;
  if (out.kind === 'console') {
    return new ConsoleWriter({
      stream: deps.stdout ?? process.stdout,
      setting: `outputs.${out.name} (type ${out.type})`,
      telemetry: deps.telemetry,
      logger: deps.logger.child(`OutputProcess::ConsoleSender(${out.name})`),
      ...(deps.onFatal === undefined ? {} : { onFatal: deps.onFatal }),
    });
  }
  const tls = out.kind === 'devo' || out.chain !== undefined;
  const file = (setting: 'chain' | 'cert' | 'key') => {
    const f = out[setting];
    return f === undefined ? `outputs.${out.name}.config.${setting} (not set)` : `outputs.${out.name}.config.${setting} (${f.path})`;
  };
  return new DevoSender({
    ...deps.tuning,
    telemetry: deps.telemetry,
    host: out.address,
    port: out.port,
    transport: tls ? 'tls' : 'tcp',
    ...(credentials.ca === undefined ? {} : { ca: credentials.ca }),
    ...(credentials.cert === undefined ? {} : { cert: credentials.cert }),
    ...(credentials.key === undefined ? {} : { key: credentials.key }),
    ...(out.keyPassphrase === undefined ? {} : { passphrase: out.keyPassphrase }),
    ...(tls ? { reloadCredentials: certificateFiles({ ...pathOf('ca', out.chain), ...pathOf('cert', out.cert), ...pathOf('key', out.key) }) } : {}),
    idleTimeoutMs: out.idleTimeoutMs,
    recycleAfterMs: out.recycleAfterMs,
    ...(out.kind === 'devo' && out.gzipLevel !== undefined ? { gzipLevel: out.gzipLevel } : {}),
    verifyServer: !out.insecureSkipServerVerification,
    settings: {
      address: `outputs.${out.name}.config.address (${out.address}:${out.port})`,
      chain: file('chain'),
      cert: file('cert'),
      key: file('key'),
      type,
    },
    logger: deps.logger.child(`OutputProcess::${out.kind === 'devo' ? 'DevoSender' : 'SyslogSender'}(${out.name})`),
  });
}

/** Each output of a config with its own telemetry (registered in file order), as the sender traces name them. */
export function outputTelemetry(config: CollectorConfig, telemetry: CollectorTelemetry): SeedOutput[] {
  return config.outputs.map((o) => ({ name: o.name, kind: o.kind, sender: telemetry.output(o.name) }));
}

/** `{ [what]: path }` for a certificate setting that is set. */
function pathOf(what: 'ca' | 'cert' | 'key', file: { readonly path: string } | undefined): Record<string, string> {
  return file === undefined ? {} : { [what]: file.path };
}
