// Latency CDFs as an SVG line plot with a log-scale latency axis (so p50 is not flattened by
// p99.9): one line per series, from the generator's histogram buckets.
export interface CdfSeries {
  label: string;
  /** [upper bound in ns, frames], ascending. */
  buckets: Array<[number, number]>;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const W = 760;
const H = 420;
const LEFT = 60;
const RIGHT = 220;
const TOP = 40;
const BOTTOM = 50;

export function cdfPlotSvg(title: string, series: CdfSeries[]): string {
  const all = series.flatMap((s) => s.buckets.map(([ns]) => ns)).filter((ns) => ns > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all))));
  const x = (ns: number) =>
    LEFT + ((Math.log10(Math.max(ns, lo)) - Math.log10(lo)) / Math.log10(hi / lo)) * (W - LEFT - RIGHT);
  const y = (fraction: number) => TOP + (1 - fraction) * (H - TOP - BOTTOM);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`,
    `<line x1="${LEFT}" y1="${y(0)}" x2="${W - RIGHT}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${LEFT}" y1="${y(0)}" x2="${LEFT}" y2="${y(1)}" stroke="black"/>`,
    `<text x="${(LEFT + W - RIGHT) / 2}" y="${H - 10}" text-anchor="middle">latency (µs, log scale)</text>`,
  ];
  for (let decade = lo; decade <= hi; decade *= 10)
    parts.push(
      `<line x1="${x(decade)}" y1="${y(0)}" x2="${x(decade)}" y2="${y(1)}" stroke="#ddd"/>`,
      `<text x="${x(decade)}" y="${y(0) + 15}" text-anchor="middle">${decade / 1000}</text>`,
    );
  for (const fraction of [0, 0.5, 0.9, 0.99, 1])
    parts.push(`<text x="${LEFT - 5}" y="${y(fraction) + 4}" text-anchor="end">${fraction}</text>`);
  series.forEach((s, i) => {
    const total = s.buckets.reduce((n, [, count]) => n + count, 0);
    let seen = 0;
    const points = s.buckets.map(([ns, count]) => {
      seen += count;
      return `${x(ns).toFixed(1)},${y(seen / total).toFixed(1)}`;
    });
    const colour = COLOURS[i % COLOURS.length];
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${points.join(' ')}"/>`,
      `<text x="${W - RIGHT + 10}" y="${TOP + 16 * i + 10}" fill="${colour}">${s.label}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
