/**
 * The soak's verdict (scenario `soak`): the collector's RSS sampled once a second over a long run
 * at a steady rate, the mean of each window (a minute by default), and whether the last window's
 * mean is within `tolerance` (5%) of the second window's: RSS has stopped growing after warm-up
 * (the first window).
 */
export interface SoakResult {
  readonly seconds: number;
  /** Events per second the source sent. */
  readonly rate: number;
  /** Keys preloaded into the de-dup window (the window full from the start, as after an hour's run). */
  readonly preloadKeys: number;
  readonly sampleEveryMs: number;
  /** VmRSS of the collector, MiB, one sample per `sampleEveryMs` from the session's start. */
  readonly samplesMiB: readonly number[];
  readonly windowSeconds: number;
  /** Mean RSS of each whole window, MiB (a last partial window is left out). */
  readonly windowMeansMiB: readonly number[];
  readonly secondWindowMeanMiB: number;
  readonly lastWindowMeanMiB: number;
  /** `last / second - 1`. */
  readonly growth: number;
  readonly tolerance: number;
  /** `|growth| <= tolerance`; false too when there are fewer than 3 windows to compare. */
  readonly pass: boolean;
}

/** The windows' means and the verdict of a soak's samples. */
export function soakVerdict(o: {
  seconds: number;
  rate: number;
  preloadKeys: number;
  sampleEveryMs: number;
  samplesMiB: readonly number[];
  windowSeconds: number;
  tolerance?: number;
}): SoakResult {
  const perWindow = Math.max(1, Math.round((o.windowSeconds * 1000) / o.sampleEveryMs));
  const windowMeansMiB: number[] = [];
  for (let start = 0; start + perWindow <= o.samplesMiB.length; start += perWindow) {
    const window = o.samplesMiB.slice(start, start + perWindow);
    windowMeansMiB.push(window.reduce((a, b) => a + b, 0) / window.length);
  }
  const tolerance = o.tolerance ?? 0.05;
  const second = windowMeansMiB[1] ?? NaN;
  const last = windowMeansMiB.length >= 3 ? windowMeansMiB[windowMeansMiB.length - 1]! : NaN;
  const growth = last / second - 1;
  return { ...o, windowMeansMiB, secondWindowMeanMiB: second, lastWindowMeanMiB: last, growth, tolerance, pass: Math.abs(growth) <= tolerance };
}

/** The soak in words, for the report. */
export function describeSoak(s: SoakResult): string {
  const means = s.windowMeansMiB.map((m, i) => `${i + 1}: ${m.toFixed(1)}`).join(', ');
  return [
    `soak: ${s.seconds} s at ${s.rate} events/s, de-dup window preloaded with ${s.preloadKeys} keys, RSS sampled every ${s.sampleEveryMs} ms (${s.samplesMiB.length} samples)`,
    `  mean RSS per ${s.windowSeconds} s window, MiB: ${means}`,
    `  last window within ${(s.tolerance * 100).toFixed(0)}% of the second: ${s.lastWindowMeanMiB.toFixed(1)} against ${s.secondWindowMeanMiB.toFixed(1)} MiB (${(s.growth * 100).toFixed(1)}%): ${s.pass ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

/** The soak's flags (`--soak-seconds`, `--soak-rate`, `--soak-window-seconds`, `--soak-preload-keys`), checked. */
export function soakPlan(flags: Readonly<Record<'soak-seconds' | 'soak-rate' | 'soak-window-seconds' | 'soak-preload-keys', string>>): {
  seconds: number;
  rate: number;
  windowSeconds: number;
  preloadKeys: number;
} {
  const value = (flag: keyof typeof flags, min: number): number => {
    const x = Number(flags[flag]);
    if (!(x >= min)) throw new Error(`--${flag}: a number >= ${min}, got ${flags[flag]}`);
    return x;
  };
  return {
    seconds: value('soak-seconds', 1),
    rate: value('soak-rate', 1),
    windowSeconds: value('soak-window-seconds', 1),
    preloadKeys: Math.floor(value('soak-preload-keys', 0)),
  };
}
