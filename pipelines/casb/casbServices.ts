import type { CollectorConfig } from '../../lib/config/collectorConfig';
import { configSecrets } from '../../lib/config/collectorConfig';
import type { Logger } from '../../lib/log/logger';
import { SecretRedactor } from '../../lib/log/secretRedactor';
import type { DevoWriter } from '../../lib/sinks/devoWriter';
import { CasbClient } from '../../lib/sources/casbClient';
import { ProofpointCasbInitVariablesError } from '../../lib/sources/casbErrors';
import { casbServiceOfPath } from '../../lib/sources/casbRecord';
import { sharedCasbClient } from '../../lib/sources/sharedCasbClient';
import type { CollectorTelemetry } from '../../lib/telemetry/collectorTelemetry';
import { ServiceTelemetry } from '../../lib/telemetry/serviceTelemetry';
import { inFlightShare } from '../inFlightShare';
import type { Service } from '../runtime/service';
import { CASB_DEFAULT_TUNING, casbService, type CasbTuning } from './casb';
import { isoUtc } from './casbState';

/** Options of {@link casbServices}. */
export interface CasbServicesOptions {
  readonly tuning?: Partial<CasbTuning>;
  /** Where the services report (metrics, status). Default: telemetry of their own. */
  readonly telemetry?: CollectorTelemetry;
  /** Wall clock. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The services of the config's CASB input (none when it is absent or disabled), on the shared
 * sender, with one client for the input. Throws `ProofpointCasbInitVariablesError` 1 (no
 * service) or 2 (an initial start time after `now`).
 */
export function casbServices(config: CollectorConfig, writer: DevoWriter, logger: Logger, options: CasbServicesOptions = {}): Service[] {
  const { tuning, telemetry } = options;
  const now = options.now ?? Date.now;
  const input = config.casb;
  if (input === undefined || !input.enabled) return [];
  if (input.services.length === 0) {
    throw new ProofpointCasbInitVariablesError(
      1,
      'inputs.proofpoint_casb.services has no service: add alerts and/or events, or set inputs.proofpoint_casb.enabled: false',
    );
  }
  for (const service of input.services) {
    if (service.initialStartTime !== undefined && service.initialStartTime > now()) {
      throw new ProofpointCasbInitVariablesError(
        2,
        `inputs.proofpoint_casb.services.${service.name}.initial_start_time_in_utc (${isoUtc(service.initialStartTime)}) is in the future`,
      );
    }
  }
  const redactor = new SecretRedactor(configSecrets(config));
  const clientLogger = logger.child(`InputProcess::ProofpointCasbClient(proofpoint_casb,${input.inputId})`);
  const serviceTelemetry = new Map(
    input.services.map((s) => [
      s.name,
      telemetry?.service('proofpoint_casb', input.inputId, s.name) ?? new ServiceTelemetry('proofpoint_casb', input.inputId, s.name, now),
    ]),
  );
  const inputTelemetry = telemetry?.casbInput(input.inputId);
  const client = sharedCasbClient(
    () =>
      new CasbClient({
        baseUrl: input.urlBase,
        apiKey: input.apiKey,
        clientId: input.clientId,
        clientSecret: input.clientSecret,
        requestsPerSecond: input.requestsPerSecond,
        requestsLimits: input.requestsLimits,
        ...(input.maxResponseBytes === undefined ? {} : { maxResponseBytes: input.maxResponseBytes }),
        logger: clientLogger,
        redactor,
        now,
        telemetry: {
          response: (path, outcome) => {
            // The authentications are the input's, not a service's: counted by tokenRenewed.
            const name = casbServiceOfPath(path);
            const service = name === undefined ? undefined : serviceTelemetry.get(name);
            service?.outcome(outcome);
            if (service !== undefined) service.connected = outcome.startsWith('2');
          },
          rateLimited: () => inputTelemetry !== undefined && inputTelemetry.rateLimited++,
          tokenRenewed: () => inputTelemetry !== undefined && inputTelemetry.tokenRenewals++,
        },
        ...tuning?.client,
      }),
  );
  return input.services.map((service) =>
    casbService(input, service, {
      writer,
      logger,
      client,
      redactor,
      now,
      telemetry: serviceTelemetry.get(service.name)!,
      stateDirectory: config.stateDirectory,
      hostname: config.output.hostname,
      batch: config.output.batch,
      tuning: { ...casbBounds(config), ...tuning },
    }),
  );
}

/** The bounds of a CASB service under the config's queue limits: its sort window and valve stay within its share (see {@link inFlightShare}). */
function casbBounds(config: CollectorConfig): Pick<CasbTuning, 'sortMaxItems' | 'valveMaxBytes' | 'valveMaxItems'> {
  const share = inFlightShare(config);
  return {
    sortMaxItems: Math.min(CASB_DEFAULT_TUNING.sortMaxItems, share.maxEvents),
    valveMaxItems: Math.min(CASB_DEFAULT_TUNING.valveMaxItems, share.maxEvents),
    valveMaxBytes: Math.min(CASB_DEFAULT_TUNING.valveMaxBytes, share.maxBytes),
  };
}
