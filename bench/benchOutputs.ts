import type { FrameShapeName } from './benchFrames';
import type { BenchResult, ScenarioOptions } from './benchScenario';

// Scenario `outputs`: the same PoD blast delivered to one output, then to two (every event to
// each, lib/sinks/fanOutWriter.ts), back to back, round by round; the collector's CPU per event of
// each and their ratio (issue 23's target: at most 1.3, each event's line built once for both).

/** One round of the `outputs` scenario on one shape. */
export interface OutputsRound {
  readonly shape: FrameShapeName;
  /** The collector with one `devo_platform` output. */
  readonly one: BenchResult;
  /** The same blast with two, each its own relay (receiver process). */
  readonly two: BenchResult;
  /** CPU per event with two outputs over CPU per event with one. */
  readonly ratio: number;
  /** Each receiver counted exactly the blast's events, a moment after the last arrived. */
  readonly everyEventOnce: boolean;
}

/** The largest CPU per event with two outputs over that with one that issue 23 accepts. */
export const OUTPUTS_CPU_RATIO_TARGET = 1.3;

/**
 * Runs `rounds` rounds per shape, one output then two, through `measure` (one collector run each);
 * returns every round and, per shape, the median round's two runs as table rows.
 */
export async function outputsScenario(
  measure: (o: ScenarioOptions) => Promise<BenchResult>,
  plan: { readonly shapes: readonly FrameShapeName[]; readonly n: number; readonly rounds: number },
): Promise<{ rounds: OutputsRound[]; rows: BenchResult[] }> {
  const all: OutputsRound[] = [];
  const rows: BenchResult[] = [];
  for (const shape of plan.shapes) {
    const total = shape === 'mix' ? Math.ceil(plan.n / 10) : plan.n;
    const mine: OutputsRound[] = [];
    for (let round = 1; round <= plan.rounds; round++) {
      const suffix = plan.rounds === 1 ? '' : ` (round ${round} of ${plan.rounds})`;
      const run = (outputs: number) =>
        measure({
          name: `outputs ${shape}: ${outputs} output${outputs === 1 ? '' : 's'}${suffix}`,
          forwarder: 'pipeline',
          total,
          rate: 0,
          shapes: [shape],
          outputs,
        });
      const one = await run(1);
      const two = await run(2);
      const everyEventOnce = one.eventsReceived === total && two.eventsByOutput?.length === 2 && two.eventsByOutput.every((lines) => lines === total);
      mine.push({ shape, one, two, ratio: two.cpuMicrosPerEvent / one.cpuMicrosPerEvent, everyEventOnce });
    }
    all.push(...mine);
    const median = [...mine].sort((a, b) => a.ratio - b.ratio)[(mine.length - 1) >> 1]!;
    rows.push({ ...median.one, scenario: `outputs ${shape}: 1 output` }, { ...median.two, scenario: `outputs ${shape}: 2 outputs` });
  }
  return { rounds: all, rows };
}

/** The median ratio of each shape's rounds, keyed as the report's `ratios` are. */
export function outputsRatios(rounds: readonly OutputsRound[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const shape of new Set(rounds.map((r) => r.shape))) {
    const ratios = rounds.filter((r) => r.shape === shape).map((r) => r.ratio);
    out[`outputs ${shape} 2 outputs/1 output (CPU per event)`] = [...ratios].sort((a, b) => a - b)[(ratios.length - 1) >> 1]!;
  }
  return out;
}

/** The summary lines of the `outputs` scenario, one per shape. */
export function describeOutputs(rounds: readonly OutputsRound[]): string {
  const lines = ['two outputs against one (CPU µs per event of the collector, one output → two, each round):'];
  for (const [key, median] of Object.entries(outputsRatios(rounds))) {
    const shape = key.split(' ')[1];
    const mine = rounds.filter((r) => r.shape === shape);
    const each = mine.map((r) => `${r.one.cpuMicrosPerEvent.toFixed(1)} → ${r.two.cpuMicrosPerEvent.toFixed(1)} (${r.ratio.toFixed(2)})`).join(', ');
    const once = mine.every((r) => r.everyEventOnce) ? 'every event once at each receiver' : 'NOT every event once at each receiver';
    const verdict = median <= OUTPUTS_CPU_RATIO_TARGET ? 'within' : 'ABOVE';
    lines.push(`  ${shape}: ${each}; median ratio ${median.toFixed(2)}, ${verdict} the ${OUTPUTS_CPU_RATIO_TARGET} target; ${once}`);
  }
  return lines.join('\n');
}
