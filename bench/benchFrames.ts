import { podKeyField } from '../lib/sources/podFrame';
import { podEvent, podEventKey, type PodEventType, type PodTimeline } from '../lib/simulators/podEvents';

const TEMPLATES = 512;

/**
 * Realistic PoD frames of one type for the benchmark (`message` ~3 KB, `maillog` smaller), fast
 * enough not to be the bottleneck: 512 events are generated once by the simulator's generator,
 * and frame `i` is template `i % 512` with its key (`guid`, or `id` for maillog) and `ts`
 * replaced by those of event `i` (unique key, the event's own time). `ts(i)` is the time the frame
 * is meant to be sent, so that a receiver can measure the end-to-end latency from the event's own
 * timestamp.
 */
export class BenchFrames {
  private readonly templates: Array<{ readonly before: string; readonly middle: string; readonly after: string }> = [];
  private readonly keyField: string;

  constructor(
    private readonly type: PodEventType = 'message',
    private readonly seed = 'bench',
  ) {
    this.keyField = podKeyField(type);
    const timeline: PodTimeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1, seed };
    for (let i = 0; i < TEMPLATES; i++) {
      const text = podEvent(type, i, timeline, { clusterId: 'bench_hosted' });
      const key = podEventKey(type, i, seed);
      const keyAt = text.indexOf(`"${this.keyField}":"${key}"`);
      const tsMatch = /"ts":"[^"]+"/.exec(text);
      if (keyAt < 0 || tsMatch === null || tsMatch.index < keyAt) throw new Error('unexpected template layout');
      this.templates.push({
        before: text.slice(0, keyAt),
        middle: text.slice(keyAt + `"${this.keyField}":"${key}"`.length, tsMatch.index),
        after: text.slice(tsMatch.index + tsMatch[0].length),
      });
    }
  }

  /** The key of frame `index`. */
  key(index: number): string {
    return podEventKey(this.type, index + TEMPLATES, this.seed);
  }

  /** Frame `index`, stamped with `time` (UTC ms) as its `ts`, in a local -07:00 offset with microseconds. */
  frame(index: number, time: number): string {
    const t = this.templates[index % TEMPLATES]!;
    return `${t.before}"${this.keyField}":"${this.key(index)}"${t.middle}"ts":"${localTs(time)}"${t.after}`;
  }
}

/** `time` as PoD writes it: local time at -07:00, microseconds, e.g. `2024-05-22T12:10:03.058000-0700`. */
export function localTs(time: number): string {
  const local = new Date(time - 7 * 3_600_000).toISOString();
  return `${local.slice(0, 23)}000-0700`;
}
