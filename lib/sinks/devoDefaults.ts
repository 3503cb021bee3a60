/** The batch limits of a Devo sink when the config sets none (`batch_max_events`, `batch_max_bytes`, `batch_max_delay_ms`). */
export const DEVO_BATCH_DEFAULTS = { maxEvents: 1000, maxBytes: 1024 * 1024, maxDelayMs: 250 } as const;

/** An idle connection is closed after this (`idle_timeout_in_seconds`), before the relay does it (ms). */
export const DEVO_IDLE_TIMEOUT_MS = 25_000;

/** A connection this old is replaced (`recycle_period_in_seconds`), ms. */
export const DEVO_RECYCLE_AFTER_MS = 3_600_000;
