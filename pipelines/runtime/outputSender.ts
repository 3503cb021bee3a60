import type { CollectorConfig } from '../../lib/config/collectorConfig';
import type { DevoCredentials } from '../../lib/config/devoCredentials';
import type { Logger } from '../../lib/log/logger';
import { DevoSender, type DevoSenderOptions } from '../../lib/sinks/devoSender';
import type { SenderTelemetry } from '../../lib/telemetry/senderTelemetry';

/** Timings of the Devo sender that tests and special relays may change (the defaults suit Devo). */
export type SenderTuning = Partial<Pick<DevoSenderOptions, 'idleProbeMs' | 'confirmAfterMs' | 'probationMs' | 'backoffInitialMs' | 'backoffMaxMs'>>;

/**
 * The {@link DevoSender} of a config's output: its relay, credentials and timeouts, and the
 * settings its errors name. Used by the single-thread runner (the whole collector's, or a
 * `multiprocessing: true` worker's).
 */
export function outputSender(config: CollectorConfig, credentials: DevoCredentials, deps: { logger: Logger; telemetry: SenderTelemetry; tuning?: SenderTuning }): DevoSender {
  const out = config.output;
  return new DevoSender({
    ...deps.tuning,
    telemetry: deps.telemetry,
    host: out.address,
    port: out.port,
    ca: credentials.ca,
    cert: credentials.cert,
    key: credentials.key,
    ...(out.keyPassphrase === undefined ? {} : { passphrase: out.keyPassphrase }),
    idleTimeoutMs: out.idleTimeoutMs,
    recycleAfterMs: out.recycleAfterMs,
    verifyServer: !out.insecureSkipServerVerification,
    settings: {
      address: `outputs.${out.name}.config.address (${out.address}:${out.port})`,
      chain: `outputs.${out.name}.config.chain (${out.chain.path})`,
      cert: `outputs.${out.name}.config.cert (${out.cert.path})`,
      key: `outputs.${out.name}.config.key (${out.key.path})`,
    },
    logger: deps.logger.child(`OutputProcess::DevoSender(${out.name})`),
  });
}
