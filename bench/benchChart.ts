import type { BenchReport, BenchResult } from './benchReport';

interface Bar {
  readonly color: string;
  readonly value: number;
}

interface Group {
  readonly label: string;
  readonly bars: readonly Bar[];
}

const WIDTH = 980;
/** Each panel's height; the chart is as tall as its panels. */
const PANEL_HEIGHT = 230;
const COLORS: Record<BenchResult['forwarder'], string> = { pipeline: '#2b6cb0', floor: '#a0aec0', before: '#ed8936' };

/**
 * An SVG chart of a benchmark report, made from its own JSON: the pipeline/floor ratio of every
 * event size (and the `before` build's, with the target line), the pipeline's CPU per event in
 * process, the CPU per frame of each throughput run, and the peak RSS of every scenario's forwarders.
 */
export function renderChart(report: BenchReport): string {
  const throughput = report.results.filter((r) => r.scenario.startsWith('throughput '));
  const shapes = [...new Set(throughput.map((r) => r.scenario))];
  const ratioGroups: Group[] = shapes.map((scenario) => {
    const shape = scenario.slice('throughput '.length);
    const bars: Bar[] = [{ color: COLORS.pipeline, value: report.ratios[`throughput ${shape} pipeline/floor (frames/s)`] ?? NaN }];
    const before = report.ratios[`throughput ${shape} before/floor (frames/s)`];
    if (before !== undefined) bars.push({ color: COLORS.before, value: before });
    return { label: shape, bars };
  });
  const byScenario = (results: readonly BenchResult[], value: (r: BenchResult) => number): Group[] =>
    [...new Set(results.map((r) => r.scenario))].map((scenario) => ({
      label: scenario,
      bars: results.filter((r) => r.scenario === scenario && Number.isFinite(value(r))).map((r) => ({ color: COLORS[r.forwarder], value: value(r) })),
    }));
  const perEvent = report.perEvent ?? [];
  const perEventGroups: Group[] = [...new Set(perEvent.map((r) => r.shape))].map((shape) => ({
    label: shape,
    bars: perEvent.filter((r) => r.shape === shape).map((r) => ({ color: COLORS[r.build], value: r.medianCpuNs / 1000 })),
  }));
  const panels = [
    panel('Throughput per event size: pipeline frames/s ÷ floor frames/s, median round', 'ratio', ratioGroups, (v) => v.toFixed(2), 0.8),
    panel('The pipeline alone: CPU per event in process, median run', 'µs', perEventGroups, (v) => v.toFixed(1)),
    panel(
      'CPU per frame (throughput runs)',
      'µs',
      byScenario(throughput, (r) => r.cpuMicrosPerEvent),
      (v) => v.toFixed(1),
    ),
    panel(
      'Peak RSS of the forwarder, every scenario',
      'MiB',
      byScenario(report.results, (r) => r.peakRssMiB),
      (v) => v.toFixed(0),
    ),
  ].filter((p) => p !== '');
  const legend = (['pipeline', 'floor', 'before'] as const)
    .map(
      (name, i) =>
        `<rect x="${WIDTH - 260 + i * 85}" y="8" width="12" height="12" fill="${COLORS[name]}"/><text x="${WIDTH - 243 + i * 85}" y="18" font-size="11">${name}</text>`,
    )
    .join('');
  const height = PANEL_HEIGHT * panels.length + 40;
  const caption = `${report.machine.cores} × ${report.machine.cpus}, Node ${report.machine.node}, ${report.date.slice(0, 10)}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>${legend}
${panels.map((p, i) => `<g transform="translate(0 ${20 + i * PANEL_HEIGHT})">${p}</g>`).join('\n')}
<text x="10" y="${height - 6}" font-size="10" fill="#555">${escape(caption)}</text>
</svg>
`;
}

/** One panel of bar groups, its own scale; a dashed line at `target` if given. Empty: ''. */
function panel(title: string, unit: string, groups: readonly Group[], format: (v: number) => string, target?: number): string {
  const shown = groups.filter((g) => g.bars.length > 0);
  if (shown.length === 0) return '';
  const max = Math.max(target ?? 0, ...shown.flatMap((g) => g.bars.map((b) => b.value)));
  // Many groups: labels slanted, more room under the axis.
  const slanted = shown.length > 6;
  const base = PANEL_HEIGHT - (slanted ? 95 : 40);
  const plot = base - 30;
  const groupWidth = (WIDTH - 70) / shown.length;
  const y = (v: number) => base - (v / (max || 1)) * plot;
  const bars = shown
    .map((group, g) => {
      const barWidth = Math.min(50, (groupWidth - 12) / group.bars.length);
      const x0 = 60 + g * groupWidth + (groupWidth - barWidth * group.bars.length) / 2;
      const rects = group.bars
        .map((b, i) => {
          const x = x0 + i * barWidth;
          const rect = `<rect x="${x.toFixed(1)}" y="${y(b.value).toFixed(1)}" width="${(barWidth - 3).toFixed(1)}" height="${(base - y(b.value)).toFixed(1)}" fill="${b.color}"/>`;
          // Values over bars too narrow to hold them would overlap: those stay in the JSON and the table.
          return barWidth < 15
            ? rect
            : `${rect}<text x="${(x + barWidth / 2 - 1.5).toFixed(1)}" y="${(y(b.value) - 3).toFixed(1)}" font-size="${barWidth < 24 ? 7 : 9}" text-anchor="middle">${format(b.value)}</text>`;
        })
        .join('');
      const cx = 60 + g * groupWidth + groupWidth / 2;
      const label = slanted
        ? `<text x="${cx.toFixed(1)}" y="${base + 12}" font-size="9" text-anchor="end" transform="rotate(-30 ${cx.toFixed(1)} ${base + 12})">${escape(shorten(group.label.replace('3 services, multiprocessing', '3 services, mp'), 44))}</text>`
        : `<text x="${cx.toFixed(1)}" y="${base + 14}" font-size="10" text-anchor="middle">${escape(group.label)}</text>`;
      return `${rects}${label}`;
    })
    .join('');
  const targetLine =
    target === undefined
      ? ''
      : `<line x1="55" y1="${y(target).toFixed(1)}" x2="${WIDTH - 10}" y2="${y(target).toFixed(1)}" stroke="#c53030" stroke-dasharray="6 4"/><text x="${WIDTH - 12}" y="${(y(target) - 4).toFixed(1)}" font-size="10" fill="#c53030" text-anchor="end">target ${target}</text>`;
  return `<text x="10" y="16" font-size="13" font-weight="bold">${escape(title)} (${escape(unit)})</text><line x1="55" y1="${base}" x2="${WIDTH - 10}" y2="${base}" stroke="#333"/>${bars}${targetLine}`;
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
