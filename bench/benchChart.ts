import type { BenchReport, BenchResult } from './run';

/**
 * An SVG chart of a benchmark report, made from its own JSON: throughput (events/s) and peak RSS
 * (MiB) of the pipeline next to the floor, one group of bars per scenario.
 */
export function renderChart(report: BenchReport): string {
  const width = 760;
  const panelHeight = 220;
  const colors: Record<BenchResult['forwarder'], string> = { pipeline: '#2b6cb0', floor: '#a0aec0' };
  const scenarios = [...new Set(report.results.map((r) => r.scenario))];
  const panel = (title: string, value: (r: BenchResult) => number, unit: string, top: number): string => {
    const max = Math.max(1, ...report.results.map(value));
    const groupWidth = (width - 80) / Math.max(1, scenarios.length);
    const bars = scenarios
      .map((name, g) => {
        const inGroup = report.results.filter((r) => r.scenario === name);
        return inGroup
          .map((r, i) => {
            const barWidth = Math.min(60, (groupWidth - 20) / Math.max(1, inGroup.length));
            const h = (value(r) / max) * (panelHeight - 60);
            const x = 60 + g * groupWidth + 10 + i * barWidth;
            const y = top + panelHeight - 30 - h;
            return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="${colors[r.forwarder]}"/><text x="${(x + barWidth / 2 - 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" font-size="10" text-anchor="middle">${value(r).toFixed(0)}</text>`;
          })
          .join('')
          .concat(`<text x="${(60 + g * groupWidth + groupWidth / 2).toFixed(1)}" y="${top + panelHeight - 12}" font-size="11" text-anchor="middle">${escape(name)}</text>`);
      })
      .join('');
    return `<text x="10" y="${top + 16}" font-size="13" font-weight="bold">${escape(title)} (${unit})</text><line x1="55" y1="${top + panelHeight - 30}" x2="${width - 10}" y2="${top + panelHeight - 30}" stroke="#333"/>${bars}`;
  };
  const legend = `<rect x="${width - 190}" y="8" width="12" height="12" fill="${colors.pipeline}"/><text x="${width - 172}" y="18" font-size="11">pipeline</text><rect x="${width - 110}" y="8" width="12" height="12" fill="${colors.floor}"/><text x="${width - 92}" y="18" font-size="11">floor</text>`;
  const height = panelHeight * 2 + 40;
  const caption = `${report.machine.cores} × ${report.machine.cpus}, Node ${report.machine.node}, ${report.date.slice(0, 10)}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>${legend}
${panel('Throughput', (r) => r.eventsPerSec, 'events/s', 20)}
${panel('Peak RSS of the forwarder', (r) => r.peakRssMiB, 'MiB', 20 + panelHeight)}
<text x="10" y="${height - 6}" font-size="10" fill="#555">${escape(caption)}</text>
</svg>
`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
