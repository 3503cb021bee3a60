import { podKeyField } from '../lib/sources/podFrame';
import { podEvent, podEventKey, type PodEventType, type PodTimeline } from '../lib/simulators/podEvents';

const TEMPLATES = 512;
/** Large templates of a `mix` (sizes spread evenly on a log scale between the bounds). */
const LARGE_TEMPLATES = 16;
const LARGE_MIN_BYTES = 100 * 1024;
const LARGE_MAX_BYTES = 2 * 1024 * 1024;

/** The frames of a bench session: a PoD event type, trimmed to a size, with large frames or not. */
export interface FrameShape {
  readonly type: PodEventType;
  /** Fields (dotted paths) removed from the simulator's events. */
  readonly drop: readonly string[];
  /** One frame in this many is large (100 KiB-2 MiB); 0: none. */
  readonly largeEvery: number;
}

/** The bench's frame shapes, by name (average sizes measured on the templates). */
export const FRAME_SHAPES = {
  /** ~0.6 KiB (635 B): the simulator's maillog without `metadata`, `pps` and `tls`. */
  maillog: { type: 'maillog', drop: ['metadata', 'pps', 'tls'], largeEvery: 0 },
  /** ~1.6 KiB: the simulator's message without the spam modules, the parts and two derived header maps. */
  'message-1.5k': { type: 'message', drop: ['filter.modules', 'msgParts', 'msg.normalizedHeader', 'msg.parsedAddresses'], largeEvery: 0 },
  /** ~3 KB: the simulator's message as it is. */
  'message-3k': { type: 'message', drop: [], largeEvery: 0 },
  /** `message-1.5k` with 5% large frames (their `msgParts` repeated to 100 KiB-2 MiB). */
  mix: { type: 'message', drop: ['filter.modules', 'msgParts', 'msg.normalizedHeader', 'msg.parsedAddresses'], largeEvery: 20 },
  /** The simulator's events as they are (the multiprocessing scenario's three services). */
  'maillog-full': { type: 'maillog', drop: [], largeEvery: 0 },
  audit: { type: 'audit', drop: [], largeEvery: 0 },
} as const satisfies Record<string, FrameShape>;

export type FrameShapeName = keyof typeof FRAME_SHAPES;

interface Template {
  readonly before: string;
  readonly middle: string;
  readonly after: string;
}

/**
 * Realistic PoD frames for the benchmark, fast enough not to be the bottleneck: 512 events are
 * generated once by the simulator's generator (and shaped, see {@link FRAME_SHAPES}), and frame
 * `i` is template `i % 512` with its key (`guid`, or `id` for maillog) and `ts` replaced by those
 * of event `i` (unique key, the event's own time). `ts(i)` is the time the frame is meant to be
 * sent, so that a receiver can measure the end-to-end latency from the event's own timestamp.
 */
export class BenchFrames {
  private readonly templates: Template[] = [];
  private readonly large: Template[] = [];
  private readonly keyField: string;
  private readonly shape: FrameShape;

  constructor(
    shape: FrameShapeName | FrameShape = 'message-3k',
    private readonly seed = 'bench',
  ) {
    this.shape = typeof shape === 'string' ? FRAME_SHAPES[shape] : shape;
    const { type, drop, largeEvery } = this.shape;
    this.keyField = podKeyField(type);
    const timeline: PodTimeline = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1, seed };
    for (let i = 0; i < TEMPLATES; i++) {
      const event = JSON.parse(podEvent(type, i, timeline, { clusterId: 'bench_hosted' })) as Record<string, unknown>;
      for (const field of drop) remove(event, field);
      this.templates.push(this.template(event, podEventKey(type, i, seed)));
    }
    for (let i = 0; i < (largeEvery > 0 ? LARGE_TEMPLATES : 0); i++) {
      const target = LARGE_MIN_BYTES * (LARGE_MAX_BYTES / LARGE_MIN_BYTES) ** (i / (LARGE_TEMPLATES - 1));
      const event = JSON.parse(podEvent(type, i, timeline, { clusterId: 'bench_hosted' })) as Record<string, unknown> & {
        msgParts: Array<Record<string, unknown>>;
      };
      const part = event.msgParts[0]!;
      const parts: Array<Record<string, unknown>> = [];
      for (let size = JSON.stringify(event).length; size < target; size += JSON.stringify(part).length + 20)
        parts.push({ ...part, structureId: String(parts.length) });
      event.msgParts = parts;
      this.large.push(this.template(event, podEventKey(type, i, seed)));
    }
  }

  /** The average size of the templates, in bytes (large frames excluded). */
  get averageBytes(): number {
    return this.templates.reduce((n, t) => n + t.before.length + t.middle.length + t.after.length + 80, 0) / this.templates.length;
  }

  /** The key of frame `index`. */
  key(index: number): string {
    return podEventKey(this.shape.type, index + TEMPLATES, this.seed);
  }

  /** Frame `index`, stamped with `time` (UTC ms) as its `ts`, in a local -07:00 offset with microseconds. */
  frame(index: number, time: number): string {
    const { largeEvery } = this.shape;
    const t =
      largeEvery > 0 && index % largeEvery === largeEvery >> 1
        ? this.large[Math.floor(index / largeEvery) % LARGE_TEMPLATES]!
        : this.templates[index % TEMPLATES]!;
    return `${t.before}"${this.keyField}":"${this.key(index)}"${t.middle}"ts":"${localTs(time)}"${t.after}`;
  }

  private template(event: Record<string, unknown>, key: string): Template {
    const text = JSON.stringify(event);
    const keyAt = text.indexOf(`"${this.keyField}":"${key}"`);
    const tsMatch = /"ts":"[^"]+"/.exec(text);
    if (keyAt < 0 || tsMatch === null || tsMatch.index < keyAt) throw new Error('unexpected template layout');
    return {
      before: text.slice(0, keyAt),
      middle: text.slice(keyAt + `"${this.keyField}":"${key}"`.length, tsMatch.index),
      after: text.slice(tsMatch.index + tsMatch[0].length),
    };
  }
}

/** Deletes a dotted path (`filter.modules`) from an object. */
function remove(object: Record<string, unknown>, dotted: string): void {
  const parts = dotted.split('.');
  let at: unknown = object;
  for (const part of parts.slice(0, -1)) at = (at as Record<string, unknown> | undefined)?.[part];
  if (at !== null && typeof at === 'object') delete (at as Record<string, unknown>)[parts[parts.length - 1]!];
}

/** `time` as PoD writes it: local time at -07:00, microseconds, e.g. `2024-05-22T12:10:03.058000-0700`. */
export function localTs(time: number): string {
  const local = new Date(time - 7 * 3_600_000).toISOString();
  return `${local.slice(0, 23)}000-0700`;
}
