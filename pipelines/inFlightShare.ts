import type { CollectorConfig, InFlightLimits } from '../lib/config/collectorConfig';

/**
 * Each enabled service's equal share of Devo's queue limits (`globals.queue_max_size_in_messages`
 * and `queue_max_size_in_mb`: what all services together hold in memory between the sources and
 * the Devo connection). The pipelines hold no more than their own bounds, or than this share when
 * it is lower.
 */
export function inFlightShare(config: CollectorConfig): InFlightLimits {
  const services = (config.pod?.enabled === true ? config.pod.services.length : 0) + (config.casb?.enabled === true ? config.casb.services.length : 0);
  const n = Math.max(1, services);
  return { maxEvents: Math.max(1, Math.floor(config.inFlight.maxEvents / n)), maxBytes: Math.max(1, Math.floor(config.inFlight.maxBytes / n)) };
}
