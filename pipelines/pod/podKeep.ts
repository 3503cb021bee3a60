import { Observable, type OperatorFunction } from 'rxjs';
import type { ByteArena } from '../../lib/flow/byteArena';
import type { DedupWindow } from '../../lib/operators/dedupWindow';
import type { Timed } from '../../lib/operators/timed';
import type { PodFrame } from '../../lib/sources/podFrame';
import { parseEventTime } from '../../lib/time/parseEventTime';

/** What {@link podKeep} works with. */
export interface PodKeepOptions {
  /** The service's de-dup window: `admit` drops duplicates, `forget` lets a corrected re-send of an event with a bad time pass. */
  readonly dedup: Pick<DedupWindow<PodFrame>, 'admit' | 'forget'>;
  /** Where a kept event's bytes are copied out of the socket read (the sink gives them back). */
  readonly arena: Pick<ByteArena, 'copy'>;
  /** An event whose `ts` is missing or unreadable, with the reason (as `normalizeTime` gives it). */
  readonly timeInvalid: (frame: PodFrame, reason: string) => void;
}

/**
 * The per-event steps between a turn's frames and the sort window, in one loop over the turn's
 * array (docs/event-journey.md): the de-dup window (a duplicate is dropped), the event time (`ts`
 * parsed by `parseEventTime`, as `normalizeTime` does: a missing or bad one goes to `timeInvalid`
 * and its key is forgotten), then the kept bytes are copied out of the socket read into the
 * arena (everything before ran within the read). One array in, one out (none when nothing was
 * kept). Errors when a step throws; completes and errors with the source.
 *
 * @example
 * podFrames(source$, frameOptions).pipe(podKeep({ dedup, arena, timeInvalid: (f, reason) => deadLetter(f, reason) }));
 */
export function podKeep(options: PodKeepOptions): OperatorFunction<readonly PodFrame[], ReadonlyArray<Timed<PodFrame>>> {
  const { dedup, arena, timeInvalid } = options;
  return (source) =>
    new Observable<ReadonlyArray<Timed<PodFrame>>>((subscriber) =>
      source.subscribe({
        next(frames) {
          const kept: Array<Timed<PodFrame>> = [];
          try {
            for (const f of frames) {
              if (!dedup.admit(f)) continue;
              const time = parseEventTime(f.ts);
              if (typeof time !== 'number') {
                timeInvalid(f, `ts: ${time.reason}`);
                // Not delivered: a corrected re-send of the event must pass the window.
                dedup.forget(f.key);
                continue;
              }
              kept.push({ time, value: { key: f.key, ts: f.ts, raw: arena.copy(f.raw) } });
            }
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (kept.length > 0) subscriber.next(kept);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}
