import type { DevoConnectionEnd } from './devoConnection';

/** Why a sender half-closes its connection. */
export type CloseReason = 'idle' | 'recycle' | 'confirm' | 'probe' | 'shutdown';

/**
 * Where a sender's connection is in its turn (see `DevoSender`), from connect to close: `idle`, no
 * connection (`planned`: the last one ended as planned, so the next is logged at debug level);
 * `connecting` (`probe`: once open, it closes at once unless there is something to write);
 * `writing`, writes go out while the socket takes them; `waiting-drain`, the socket is full and
 * nothing more is written until its `'drain'`; `confirming-when-written`, a confirming close waits
 * for the socket to take what it holds (`full`: it waits for `'drain'` first) and nothing more is
 * written; `closing`, our half-close is sent (`reason`: why; a probe's is answered by the relay's EOF).
 */
export type ConnectionTurn =
  | { readonly state: 'idle'; readonly planned: boolean }
  | { readonly state: 'connecting'; readonly probe: boolean; readonly planned: boolean }
  | { readonly state: 'writing' }
  | { readonly state: 'waiting-drain' }
  | { readonly state: 'confirming-when-written'; readonly full: boolean }
  | { readonly state: 'closing'; readonly reason: CloseReason };

/**
 * What happens to a turn: `connect`, a connection was started; `opened`, its handshake is done;
 * `full`, a write was not taken at once; `drained`, the socket took what it held; `confirm`, a
 * confirming close was asked for while the socket holds writes; `halfClose`, our half-close was
 * sent; `closed`, the connection closed (`clean`: as planned, see {@link turnEnd}).
 */
export type TurnEvent =
  | { readonly type: 'connect'; readonly probe: boolean }
  | { readonly type: 'opened' | 'full' | 'drained' | 'confirm' }
  | { readonly type: 'halfClose'; readonly reason: CloseReason }
  | { readonly type: 'closed'; readonly clean: boolean };

/** The turn before the first connection. */
export const FIRST_TURN: ConnectionTurn = { state: 'idle', planned: false };

/** The turn after `event`; an event that does not apply to the state leaves it as it is. */
export function nextTurn(turn: ConnectionTurn, event: TurnEvent): ConnectionTurn {
  switch (event.type) {
    case 'connect':
      return { state: 'connecting', probe: event.probe, planned: turn.state === 'idle' && turn.planned };
    case 'opened':
      return turn.state === 'connecting' ? { state: 'writing' } : turn;
    case 'full':
      return turn.state === 'writing' ? { state: 'waiting-drain' } : turn;
    case 'drained':
      if (turn.state === 'waiting-drain') return { state: 'writing' };
      return turn.state === 'confirming-when-written' ? { state: 'confirming-when-written', full: false } : turn;
    case 'confirm':
      if (turn.state === 'writing') return { state: 'confirming-when-written', full: false };
      return turn.state === 'waiting-drain' ? { state: 'confirming-when-written', full: true } : turn;
    case 'halfClose':
      return { state: 'closing', reason: event.reason };
    case 'closed':
      return { state: 'idle', planned: event.clean };
  }
}

/** The socket is full: nothing is written until its `'drain'`. */
export function waitsForDrain(turn: ConnectionTurn): boolean {
  return turn.state === 'waiting-drain' || (turn.state === 'confirming-when-written' && turn.full);
}

/** The connection is a probe's (connecting, or closing once it found nothing to write). */
export function isProbe(turn: ConnectionTurn): boolean {
  return (turn.state === 'connecting' && turn.probe) || (turn.state === 'closing' && turn.reason === 'probe');
}

/**
 * How a turn ended: `clean`, an EOF answered our half-close with nothing in flight, on a connection
 * not so young that the EOF may be a rejection of the client certificate (the relay read
 * everything); `answered`, clean, or a probe's half-close answered by EOF (the relay is reachable).
 */
export function turnEnd(turn: ConnectionTurn, end: DevoConnectionEnd, inflight: boolean, probationMs: number): { clean: boolean; answered: boolean } {
  const clean = end.confirmedByEof && !inflight && end.lived >= probationMs;
  return { clean, answered: clean || (isProbe(turn) && end.confirmedByEof) };
}
