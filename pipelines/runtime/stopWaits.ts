import { STOP_CONFIRM_MS } from './collectorOptions';

/**
 * What a stop is about to wait for, and at most how long, for its log line: the pipelines'
 * flush, then the relay's confirmation; with the relay failing, that the wait may take it all.
 */
export function stopWaits(stopTimeoutMs: number, failingSince: number | undefined): string {
  const waits = `waiting at most ${stopTimeoutMs / 1000} s for the services to flush, then ${STOP_CONFIRM_MS / 1000} s for the Devo relay to confirm what they wrote`;
  if (failingSince === undefined) return waits;
  return `${waits}; the relay has confirmed nothing since ${new Date(failingSince).toISOString()}, so the stop may take that long, and what it does not confirm is pulled again at the next start`;
}
