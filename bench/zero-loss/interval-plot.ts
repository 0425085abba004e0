// Medians with their 95% intervals as an SVG dot-and-whisker plot, one row each, on a shared
// linear axis from 0: the ratio pairs' absolute Mpps beside the ratio itself.
export interface IntervalRow {
  label: string;
  median: number;
  low: number;
  high: number;
}

const W = 900;
const ROW = 28;
const LEFT = 260;
const RIGHT = 230;
const TOP = 40;

function panel(title: string, unit: string, rows: IntervalRow[], top: number): string[] {
  const max = Math.max(...rows.map((r) => r.high)) * 1.1 || 1;
  const x = (value: number) => LEFT + (value / max) * (W - LEFT - RIGHT);
  const parts = [`<text x="${LEFT}" y="${top - 10}" font-weight="bold">${title}</text>`];
  rows.forEach((r, i) => {
    const y = top + ROW * i + ROW / 2;
    parts.push(
      `<text x="${LEFT - 10}" y="${y + 4}" text-anchor="end">${r.label}</text>`,
      `<line x1="${x(r.low)}" y1="${y}" x2="${x(r.high)}" y2="${y}" stroke="black"/>`,
      `<line x1="${x(r.low)}" y1="${y - 5}" x2="${x(r.low)}" y2="${y + 5}" stroke="black"/>`,
      `<line x1="${x(r.high)}" y1="${y - 5}" x2="${x(r.high)}" y2="${y + 5}" stroke="black"/>`,
      `<circle cx="${x(r.median)}" cy="${y}" r="4" fill="#1f77b4"/>`,
      `<text x="${x(r.high) + 6}" y="${y + 4}" font-size="11">${r.median.toFixed(3)} [${r.low.toFixed(3)}, ${r.high.toFixed(3)}]${unit}</text>`,
    );
  });
  const axis = top + ROW * rows.length;
  parts.push(
    `<line x1="${LEFT}" y1="${axis}" x2="${W - RIGHT}" y2="${axis}" stroke="black"/>`,
    `<text x="${LEFT}" y="${axis + 14}" font-size="11">0</text>`,
    `<text x="${W - RIGHT}" y="${axis + 14}" font-size="11" text-anchor="end">${max.toFixed(2)}</text>`,
  );
  return parts;
}

/** Two panels: absolute rates (Mpps), then ratios. */
export function intervalPlotSvg(title: string, rates: IntervalRow[], ratios: IntervalRow[]): string {
  const ratesTop = TOP + 30;
  const ratiosTop = ratesTop + ROW * rates.length + 60;
  const height = ratiosTop + ROW * ratios.length + 40;
  return (
    [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="sans-serif" font-size="12">`,
      `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`,
      ...panel('Received rate, median and 95% interval', ' Mpps', rates, ratesTop),
      ...panel('vhost-failover / testpmd io, median and 95% interval', '', ratios, ratiosTop),
      '</svg>',
    ].join('\n') + '\n'
  );
}
