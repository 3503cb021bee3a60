import type { Logger } from '../lib/log/logger';

/** The bounds a service's de-dup window was given, for the message. */
interface WindowBounds {
  readonly dedupMaxBytes: number;
  readonly dedupMaxKeys?: number;
}

/** Between two warnings about keys forgotten early, at least this long. */
const REPEAT_MS = 10 * 60_000;

/**
 * The `onEarlyForget` of a service's de-dup window: warns the moment the window starts
 * forgetting keys younger than the hour (it is too small for the stream's rate: a duplicate of
 * those keys passes, and a catch-up after a crash re-sends them), naming the settings to raise,
 * and again at most every 10 minutes with the count since the last warning.
 */
export function earlyForgetReporter(logger: Logger, settingPrefix: string, bounds: WindowBounds, now: () => number = Date.now): (ageMs: number) => void {
  let lastWarning = -Infinity;
  let since = 0;
  return (ageMs) => {
    since++;
    const at = now();
    if (at - lastWarning < REPEAT_MS) return;
    lastWarning = at;
    const limit = `${settingPrefix}.dedup_max_size_in_mb (${Math.round(bounds.dedupMaxBytes / 1048576)})${
      bounds.dedupMaxKeys === undefined ? '' : ` or ${settingPrefix}.dedup_max_keys (${bounds.dedupMaxKeys})`
    }`;
    logger.problem(
      'DEDUP_WINDOW_FULL',
      `the de-dup window forgot ${since} key(s) younger than an hour (the latest ${Math.round(ageMs / 60_000)} min old): it cannot hold an hour of this stream. Duplicates of forgotten keys pass, and a catch-up after a crash re-sends them. Raise ${limit}`,
    );
    since = 0;
  };
}
