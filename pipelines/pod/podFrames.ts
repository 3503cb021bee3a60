import { Observable } from 'rxjs';
import { isRejectedFrame, parsePodFrame, type PodFrame, type PodFrameLimits } from '../../lib/sources/podFrame';
import type { PodSourceEvent } from '../../lib/sources/podSource';
import { isValidTime, parseEventTime } from '../../lib/time/parseEventTime';
import type { PodSessions } from './podSessions';

/** What {@link podFrames} hands each kind of source event to. */
export interface PodFramesOptions {
  readonly keyField: 'guid' | 'id';
  /** The bound of one frame (`max_event_size_in_mb`). */
  readonly limits: PodFrameLimits;
  /** Counts every frame before it is parsed, and keeps the sessions' starts and ends. */
  readonly sessions: Pick<PodSessions, 'frame' | 'session'>;
  /** A rejected frame, for the dead letter. */
  readonly deadLetter: (text: string, reason: string) => void;
  /**
   * A valid event rejected for its size, at its time: it is not delivered, and the cursor moves
   * past it as past a delivered one (so that a catch-up does not bring it back forever).
   */
  readonly onSkipped: (time: number) => void;
}

/**
 * The frames of a PoD source as events, one array per turn: session events go to `sessions`, each frame is counted and parsed
 * ({@link parsePodFrame}, bounded by `limits`), and a bad or too-large one goes to the dead letter
 * (one step, not four: it runs for every frame). The events of one turn (the frames `ws` parses
 * from one socket read, synchronously) leave as one array once the turn's code is done (a
 * microtask), so the stages after pay one emission per read, not one per event; a session event
 * first emits the events before it, so order is kept. Errors and completes with the source (the
 * turn's events first); an exception in a callback errors the stream. Unsubscribing unsubscribes
 * from the source and drops the turn's events.
 *
 * @example
 * podFrames(source$, { keyField: 'guid', limits, sessions, deadLetter, onSkipped }).pipe(podKeep(options));
 */
export function podFrames(source$: Observable<PodSourceEvent>, options: PodFramesOptions): Observable<readonly PodFrame[]> {
  const { keyField, limits } = options;
  return new Observable<readonly PodFrame[]>((subscriber) => {
    let turn: PodFrame[] = [];
    const emitTurn = (): void => {
      if (turn.length === 0 || subscriber.closed) return;
      const events = turn;
      turn = [];
      subscriber.next(events);
    };
    return source$.subscribe({
      next(e) {
        try {
          if (e.kind !== 'frame') {
            emitTurn();
            return options.sessions.session(e);
          }
          options.sessions.frame();
          const f = parsePodFrame(e.data, e.isBinary, keyField, limits);
          if (!isRejectedFrame(f)) {
            if (turn.push(f) === 1) queueMicrotask(emitTurn);
            return;
          }
          options.deadLetter(f.text, f.reason);
          if (f.ts !== undefined) {
            const time = parseEventTime(f.ts);
            if (isValidTime(time)) options.onSkipped(time);
          }
        } catch (err) {
          subscriber.error(err);
        }
      },
      error: (err: unknown) => {
        emitTurn();
        subscriber.error(err);
      },
      complete: () => {
        emitTurn();
        subscriber.complete();
      },
    });
  });
}
