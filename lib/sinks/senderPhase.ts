/**
 * Where a sender is in its life (see `DevoSender`), in order: `open`, taking data; `draining`, the
 * writers are stopping (confirm by half-close as soon as nothing is being written); `closing`,
 * `close` was called (nothing more is taken); `closed`, the last connection is closing (no
 * reconnect, no write).
 */
export type SenderPhase = 'open' | 'draining' | 'closing' | 'closed';

const ORDER: readonly SenderPhase[] = ['open', 'draining', 'closing', 'closed'];

/** `phase` is `target` or a later one. */
export function reached(phase: SenderPhase, target: SenderPhase): boolean {
  return ORDER.indexOf(phase) >= ORDER.indexOf(target);
}
