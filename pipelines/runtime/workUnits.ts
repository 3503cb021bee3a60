import type { CollectorConfig } from '../../lib/config/collectorConfig';

/** What one worker thread runs: a config holding only its services. */
export interface WorkUnit {
  /** `pod/message`, …, or `casb/<input id>`. */
  readonly name: string;
  /** The services it runs (as the runner names them). */
  readonly services: readonly string[];
  /** The collector's config with only these services enabled, run in one thread (`multiprocessing: false`), without `http_server` (the main thread serves it). */
  readonly config: CollectorConfig;
}

/**
 * How `multiprocessing: true` splits a config over worker threads: one unit per PoD service, one
 * per CASB input (its services share the input's API client: its pace, its 429 pauses and its
 * token, as the vendor's limits are per api key). Each unit keeps its share of the queue limits
 * (`inFlight`) and the state directory (each service has its own files there).
 */
export function workUnits(config: CollectorConfig): WorkUnit[] {
  const single = { ...config.collector, multiprocessing: false };
  const { httpServer: _httpServer, ...shared } = config;
  const pod = config.pod?.enabled === true ? config.pod : undefined;
  const casb = config.casb?.enabled === true && config.casb.services.length > 0 ? config.casb : undefined;
  const total = (pod?.services.length ?? 0) + (casb?.services.length ?? 0);
  const share = (n: number) => ({
    maxEvents: Math.max(1, Math.floor((config.inFlight.maxEvents * n) / Math.max(1, total))),
    maxBytes: Math.max(1, Math.floor((config.inFlight.maxBytes * n) / Math.max(1, total))),
  });
  const units: WorkUnit[] = [];
  for (const service of pod?.services ?? []) {
    const { casb: _casb, ...rest } = shared;
    units.push({
      name: `pod/${service.name}`,
      services: [`pod/${service.name}`],
      config: { ...rest, collector: single, pod: { ...pod!, services: [service] }, inFlight: share(1) },
    });
  }
  if (casb !== undefined) {
    const { pod: _pod, ...rest } = shared;
    units.push({
      name: `casb/${casb.inputId}`,
      services: casb.services.map((s) => `casb/${s.name}`),
      config: { ...rest, collector: single, casb, inFlight: share(casb.services.length) },
    });
  }
  return units;
}
