import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';

/** The parts of a V8 `.cpuprofile` (`node --cpu-prof`) read here. */
interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
    readonly children?: readonly number[];
  }>;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One step of the pipeline and its share of the busy time. */
export interface ProfileStep {
  readonly step: string;
  readonly share: number;
}

/**
 * The steps, by the file (or function) that does their work: a sample goes to the first step found
 * walking its stack from the leaf up, so that a library call (lru-cache, a Buffer copy) counts in
 * the step that made it. `null` skips a frame (a clock read counts for whoever read the clock);
 * module loading and start-up are left out.
 */
const STEPS: ReadonlyArray<readonly [RegExp, string | null]> = [
  [/internal\/modules|wrapSafe|compileForInternalLoader/, 'start-up (left out)'],
  [/scanJsonObject|jsonTokens/, 'JSON validation, key and ts (scanJsonObject)'],
  [/lru-cache|commonjs\/node\/index\.min|dedupWindow/, 'de-dup window (lru-cache: a lookup and a set on arrival, one of each on delivery)'],
  [/dedupJournal/, 'de-dup journal (a line per delivered key)'],
  [/commitStep|podCommits|pendingKeys|serviceStore|commitAcks|stateFile/, 'commits (commit step, cursor, acks)'],
  [/sortWithin/, 'sort window'],
  [/parseEventTime|normalizeTime/, 'time parsing'],
  [/devoLine/, 'sink: syslog header and line'],
  [/devoWrite|devoSink|batchBy|pendingWrite/, 'sink: batches (format, valve, assembly)'],
  [/byteArena/, 'byte arena copy'],
  [
    /pipelines\/pod\/(pod|podKeep|podFrames|podSessions)\.js|operators\/gate\.js|sources\/podFrame\.js|sources\/podSource\.js/,
    'PoD stages (frames, keep, gate, sessions)',
  ],
  [/streamFlow|flow\/valve/, 'valve'],
  [
    /devoSender|devoConnection|writeQueue|resendWindow|deliveryConfirmation|fanOutWriter|outputSender|senderStats|senderTelemetry|gzipMember/,
    'sender: queue, resend window, TLS socket writes (encryption included)',
  ],
  [/node_modules\/ws\//, 'ws frame parsing and UTF-8 check'],
  [/dateTimestampProvider/, null],
  [/rxjs|\/cjs\/internal\//, 'RxJS operators'],
];

/**
 * Shares of the busy time (idle and start-up left out) by pipeline step, from the `.cpuprofile`
 * files of `dir` (those of one collector run), largest first. What matches no step is listed by
 * its leaf function, so that nothing hides in a "rest".
 */
export async function profileSteps(dir: string): Promise<ProfileStep[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  const time = new Map<string, number>();
  let busy = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const stepOf = new Map<number, string>();
    const classify = (leafId: number): string => {
      const known = stepOf.get(leafId);
      if (known !== undefined) return known;
      const leaf = byId.get(leafId)!.callFrame;
      let step: string | undefined;
      if (leaf.functionName === '(idle)') step = 'idle';
      else if (leaf.functionName === '(garbage collector)') step = 'garbage collection';
      else if (leaf.functionName === '(program)') step = 'V8 outside JavaScript (program)';
      for (let id: number | undefined = leafId; step === undefined && id !== undefined; id = parent.get(id)) {
        const frame = byId.get(id)!.callFrame;
        const rule = STEPS.find(([re]) => re.test(frame.url) || re.test(frame.functionName));
        if (rule !== undefined && rule[1] !== null) step = rule[1];
      }
      step ??= `other: ${leaf.functionName || '(anonymous)'} (${path.basename(leaf.url) || 'native'})`;
      stepOf.set(leafId, step);
      return step;
    };
    profile.samples.forEach((id, i) => {
      const step = classify(id);
      if (step === 'idle' || step === 'start-up (left out)') return;
      const dt = profile.timeDeltas[i] ?? 0;
      time.set(step, (time.get(step) ?? 0) + dt);
      busy += dt;
    });
  }
  return [...time].map(([step, t]) => ({ step, share: busy === 0 ? 0 : t / busy })).sort((a, b) => b.share - a.share);
}

/** The steps as table lines: each at least `minShare`, then the others summed (with how many they are). */
export function profileTable(steps: readonly ProfileStep[], minShare = 0.005): string[] {
  const shown = steps.filter((s) => s.share >= minShare);
  const rest = steps.filter((s) => s.share < minShare);
  const lines = shown.map((s) => `${(100 * s.share).toFixed(1).padStart(5)}%  ${s.step}`);
  if (rest.length > 0)
    lines.push(`${(100 * rest.reduce((a, s) => a + s.share, 0)).toFixed(1).padStart(5)}%  ${rest.length} steps under ${100 * minShare}% each`);
  return lines;
}
