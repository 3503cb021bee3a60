import type { SenderPhase } from './senderPhase';

/**
 * What a sender does once a connection has closed: `write` what is queued on a new one, `probe`
 * (nothing to write: a connection later says when the relay is reachable), `settle` (wake
 * `close()` and stop), or `retry` after the backoff. `answered`: the close was clean (the relay's
 * EOF confirmed it) or a probe's EOF answered. A lost connection is replaced even with nothing to
 * send (unless stopping), so that the sender knows, and says (readiness), when the relay is back.
 */
export function afterClose(answered: boolean, queued: boolean, phase: SenderPhase): 'write' | 'probe' | 'settle' | 'retry' {
  const stopping = phase === 'closing' || phase === 'closed';
  if (answered) return queued && phase !== 'closed' ? 'write' : stopping ? 'settle' : 'probe';
  return phase === 'closed' || (stopping && !queued) ? 'settle' : 'retry';
}
