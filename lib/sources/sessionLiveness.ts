/**
 * Whether a websocket session is alive, for its ping timer: a pong, a frame, the handshake or a
 * resume counts as a sign of life; a session without one for `timeoutMs` is dead. A paused socket
 * reads nothing, pongs included, so liveness is only judged while reading. A frame is noted
 * without reading the clock (frames come by the thousand a second): the next check reads it.
 *
 * @example
 * const liveness = new SessionLiveness(() => scheduler.now(), 60_000);
 * ws.on('message', () => liveness.frame());
 * interval(30_000).subscribe(() => (liveness.expired() ? ws.terminate() : ws.ping()));
 */
export class SessionLiveness {
  private last: number;
  private heard = false;
  /** While true (the valve closed the socket), nothing is expected. */
  paused = false;

  constructor(
    private readonly now: () => number,
    private readonly timeoutMs: number,
  ) {
    this.last = now();
  }

  /** A sign of life now (a pong, the handshake, the socket resumed). */
  alive(): void {
    this.last = this.now();
  }

  /** A frame arrived: alive, as of the next check. */
  frame(): void {
    this.heard = true;
  }

  /** At a ping tick: true when no sign of life came for the timeout while reading. */
  expired(): boolean {
    if (this.paused || this.heard) {
      this.heard = false;
      this.alive();
      return false;
    }
    return this.now() - this.last > this.timeoutMs;
  }
}
