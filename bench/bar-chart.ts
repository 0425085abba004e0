// A small SVG bar chart: one cluster per case (a direction and frame size), one bar per switch,
// each bar's height its ratio to testpmd io in the same round. No dependencies.
export interface BarCluster {
  label: string;
  bars: Array<{ name: string; value: number }>;
}

const WIDTH = 900;
const HEIGHT = 340;
const MARGIN = { left: 50, right: 20, top: 40, bottom: 60 };
const COLOURS = ['#7f7f7f', '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

export function barChartSvg(title: string, unit: string, clusters: BarCluster[]): string {
  const names = [...new Set(clusters.flatMap((c) => c.bars.map((b) => b.name)))];
  const max = Math.max(1, ...clusters.flatMap((c) => c.bars.map((b) => b.value)));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const clusterWidth = plotWidth / Math.max(1, clusters.length);
  const barWidth = (clusterWidth * 0.8) / Math.max(1, names.length);
  const y = (value: number) => HEIGHT - MARGIN.bottom - (value / max) * plotHeight;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14">${title}</text>`,
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(0)}" y2="${y(0)}" stroke="black"/>`,
    `<text x="4" y="${y(max) + 4}" font-size="12">${max.toFixed(2)}${unit}</text>`,
  ];
  if (max >= 1)
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(1)}" y2="${y(1)}" stroke="#888" stroke-dasharray="4"/>`,
      `<text x="4" y="${y(1) + 4}" font-size="12">1${unit}</text>`,
    );
  clusters.forEach((cluster, i) => {
    const x0 = MARGIN.left + i * clusterWidth + clusterWidth * 0.1;
    cluster.bars.forEach((bar) => {
      const k = names.indexOf(bar.name);
      const x = x0 + k * barWidth;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(bar.value).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" ` +
          `height="${(y(0) - y(bar.value)).toFixed(1)}" fill="${COLOURS[k % COLOURS.length]}"/>`,
        `<text x="${(x + 1).toFixed(1)}" y="${(y(bar.value) - 3).toFixed(1)}" font-size="10">${bar.value.toFixed(2)}</text>`,
      );
    });
    parts.push(`<text x="${x0.toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" font-size="11">${cluster.label}</text>`);
  });
  names.forEach((name, k) =>
    parts.push(
      `<rect x="${MARGIN.left + k * 170}" y="${HEIGHT - 22}" width="12" height="12" fill="${COLOURS[k % COLOURS.length]}"/>`,
      `<text x="${MARGIN.left + k * 170 + 16}" y="${HEIGHT - 12}" font-size="12">${name}</text>`,
    ),
  );
  parts.push('</svg>');
  return parts.join('\n');
}
