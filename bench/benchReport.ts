import type { FrameShapeName } from './benchFrames';
import type { BenchResult } from './benchScenario';
import type { MemoryReport } from './benchMemory';
import type { SoakResult } from './benchSoak';
import type { OutputsRound } from './benchOutputs';

export type { BenchResult } from './benchScenario';

/** The in-process cost per event of one build on one shape. */
export interface PerEventResult {
  readonly shape: FrameShapeName;
  readonly build: 'pipeline' | 'before';
  readonly wallNs: readonly number[];
  readonly cpuNs: readonly number[];
  readonly medianWallNs: number;
  readonly medianCpuNs: number;
}

/** One round of a throughput scenario: its forwarders one after the other. */
export interface ThroughputRound {
  readonly shape: FrameShapeName;
  readonly floor: BenchResult;
  readonly pipeline: BenchResult;
  readonly ratio: number;
  readonly before?: BenchResult;
  readonly beforeRatio?: number;
}

/** The whole report (`--json`). */
export interface BenchReport {
  readonly date: string;
  readonly machine: { readonly cpus: string; readonly cores: number; readonly memoryGiB: number; readonly node: string };
  /** One row per scenario and forwarder; for throughput, the round with the median pipeline/floor ratio. */
  readonly results: readonly BenchResult[];
  /** Throughput rounds: the floor and the pipeline (and `before`) one after the other, each round on its own. */
  readonly throughputRounds: readonly ThroughputRound[];
  /** `throughput <shape> pipeline/floor (frames/s)` is the median of the shape's rounds' ratios. */
  readonly ratios: Readonly<Record<string, number>>;
  /**
   * The de-dup window's memory: the idle collector holding `keys` restored keys, against the idle
   * collector plus lru-cache alone holding as many (`overheadMiB` is what the collector adds).
   */
  readonly dedup?: {
    readonly keys: number;
    readonly rssMiB: number;
    readonly idleRssMiB: number;
    readonly lruAloneMiB: number;
    readonly lruAloneLiveMiB: number;
    readonly overheadMiB: number;
  };
  /** Scenario `per-event`: the pipeline's own cost per event, in process (see benchInProcess.ts), each run and the median. */
  readonly perEvent?: readonly PerEventResult[];
  /** Scenario `soak`: RSS sampled every second over a long run at a rate, per-window means and the 5% verdict. */
  readonly soak?: SoakResult;
  /** Scenario `outputs`: each round's one-output and two-output runs, their CPU ratio, and whether each receiver had every event once. */
  readonly outputs?: readonly OutputsRound[];
  /** Scenario `memory`: peak RSS by configuration, and the formula fitted to it (also `memory.md`). */
  readonly memory?: MemoryReport;
  /** `--collector-node-options`: the collector's Node options in every run, when given. */
  readonly collectorNodeOptions?: readonly string[];
}
