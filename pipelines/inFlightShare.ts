import type { CollectorConfig } from '../lib/config/collectorConfig';

/** What one service may hold between its source and the Devo connection. */
export interface InFlightShare {
  readonly maxEvents: number;
  readonly maxBytes: number;
}

/**
 * Each enabled service's equal share of Devo's queue limits (`globals.queue_max_size_in_messages`
 * and `queue_max_size_in_mb`: what all services together hold in memory between the sources and
 * the Devo connection). The pipelines hold no more than their own bounds, or than this share when
 * it is lower.
 */
export function inFlightShare(config: CollectorConfig): InFlightShare {
  const services = (config.pod?.enabled === true ? config.pod.services.length : 0) + (config.casb?.enabled === true ? config.casb.services.length : 0);
  const n = Math.max(1, services);
  return { maxEvents: Math.max(1, Math.floor(config.inFlight.maxEvents / n)), maxBytes: Math.max(1, Math.floor(config.inFlight.maxBytes / n)) };
}
