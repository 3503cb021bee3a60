import { readFile } from 'node:fs/promises';

/** Peak and current RSS of a process, from /proc (VmHWM, VmRSS), in MiB. */
export async function readRss(pid: number): Promise<{ peak: number; now: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
}

/**
 * Samples a process's RSS (VmRSS, MiB) every `everyMs` from now until `stop()`, which returns the
 * samples in order (one a second for the soak). A reading that fails (the process ended) is skipped.
 */
export function sampleRss(pid: number, everyMs: number): { stop(): Promise<number[]> } {
  const samples: number[] = [];
  let reading: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    reading = reading.then(() =>
      readRss(pid).then(
        (r) => {
          if (Number.isFinite(r.now)) samples.push(r.now);
        },
        () => undefined,
      ),
    );
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await reading;
      return samples;
    },
  };
}
