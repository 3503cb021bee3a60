import type { CollectorConfig } from '../../lib/config/collectorConfig';
import { inFlightShare } from '../inFlightShare';
import { POD_PING_INTERVAL_MS, POD_PONG_TIMEOUT_MS } from '../../lib/sources/podDefaults';

/** Internal limits of a PoD pipeline; the defaults suit production. */
export interface PodTuning {
  /**
   * Sort window: longest hold and most events held. Defaults 500 ms, 1024: PoD's disorder is
   * local, and every event held past a young-generation collection is promoted, so a longer
   * window costs memory and CPU (in `npm run bench`, 4096 events and an 8 MiB valve cost ~45 MiB
   * of peak RSS and ~10% of CPU per event against these defaults).
   */
  readonly sortMaxDelayMs: number;
  readonly sortMaxItems: number;
  /**
   * Most bytes of events in the sort window. Default 16 MiB (1 024 events of 16 KiB; PoD events
   * are a few KiB): a burst of big frames is emitted early rather than held.
   */
  readonly sortMaxBytes: number;
  /** The socket pauses when the sink holds this much. Defaults 4 MiB, 4096 events (four 1 MiB batches). */
  readonly valveMaxBytes: number;
  readonly valveMaxItems: number;
  /**
   * At most one state write per interval. Default 250 ms: commits only append the new keys, so
   * they are cheap, and what waits for the next commit (the delivered keys) is held briefly.
   */
  readonly commitIntervalMs: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  /** Statistics line period. Default: the service's period. */
  readonly statsIntervalMs?: number;
  readonly backoffMaxMs: number;
  readonly badSettingsRetryMs: number;
}

/** The defaults of {@link PodTuning} (docs/ states them; a spec keeps the two in step). */
export const POD_DEFAULT_TUNING: PodTuning = {
  sortMaxDelayMs: 500,
  sortMaxItems: 1024,
  sortMaxBytes: 16 * 1024 * 1024,
  valveMaxBytes: 4 * 1024 * 1024,
  valveMaxItems: 4096,
  commitIntervalMs: 250,
  pingIntervalMs: POD_PING_INTERVAL_MS,
  pongTimeoutMs: POD_PONG_TIMEOUT_MS,
  backoffMaxMs: 600_000,
  badSettingsRetryMs: 300_000,
};

/**
 * The bounds of a PoD service under the config's queue limits: the sink's valve and the sort
 * window together stay within the service's share of them (see {@link inFlightShare}). The valve
 * gets at most half the share's bytes, the sort window the rest; of the events, the valve may
 * take the share and the sort window a quarter of it (events are counted where they wait, bytes
 * are what fills memory).
 *
 * @example
 * podService(input, service, { ...deps, tuning: podTuningFor(config) });
 */
export function podTuningFor(config: CollectorConfig): Pick<PodTuning, 'valveMaxItems' | 'valveMaxBytes' | 'sortMaxItems' | 'sortMaxBytes'> {
  const share = inFlightShare(config);
  const valveMaxBytes = Math.min(POD_DEFAULT_TUNING.valveMaxBytes, Math.max(1, Math.floor(share.maxBytes / 2)));
  return {
    valveMaxItems: Math.min(POD_DEFAULT_TUNING.valveMaxItems, share.maxEvents),
    valveMaxBytes,
    sortMaxItems: Math.min(POD_DEFAULT_TUNING.sortMaxItems, Math.max(1, Math.floor(share.maxEvents / 4))),
    sortMaxBytes: Math.min(POD_DEFAULT_TUNING.sortMaxBytes, Math.max(1, share.maxBytes - valveMaxBytes)),
  };
}
