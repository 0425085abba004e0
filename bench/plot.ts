// A small SVG line chart: frames per second on each uplink over time across a failover, so a
// lab can look instead of read. No dependencies: the chart is a few polylines and labels.
export interface RateSample {
  tMs: number;
  primaryPps: number;
  standbyPps: number;
}

export interface Marker {
  tMs: number;
  label: string;
}

const WIDTH = 800;
const HEIGHT = 320;
const MARGIN = { left: 70, right: 20, top: 30, bottom: 40 };

export function ratePlotSvg(title: string, samples: RateSample[], markers: Marker[]): string {
  const maxT = Math.max(1, ...samples.map((s) => s.tMs));
  const maxPps = Math.max(1, ...samples.flatMap((s) => [s.primaryPps, s.standbyPps]));
  const x = (tMs: number) => MARGIN.left + (tMs / maxT) * (WIDTH - MARGIN.left - MARGIN.right);
  const y = (pps: number) => HEIGHT - MARGIN.bottom - (pps / maxPps) * (HEIGHT - MARGIN.top - MARGIN.bottom);
  const line = (pick: (s: RateSample) => number, colour: string) =>
    `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${samples
      .map((s) => `${x(s.tMs).toFixed(1)},${y(pick(s)).toFixed(1)}`)
      .join(' ')}"/>`;
  const marks = markers
    .map(
      (m) =>
        `<line x1="${x(m.tMs)}" x2="${x(m.tMs)}" y1="${MARGIN.top}" y2="${HEIGHT - MARGIN.bottom}" stroke="#888" stroke-dasharray="4"/>` +
        `<text x="${x(m.tMs) + 4}" y="${MARGIN.top + 12}" font-size="12">${m.label}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="14">${title}</text>`,
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(0)}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${y(0)}" stroke="black"/>`,
    `<text x="4" y="${MARGIN.top + 10}" font-size="12">${Math.round(maxPps / 1000)} kpps</text>`,
    `<text x="4" y="${y(0)}" font-size="12">0</text>`,
    `<text x="${WIDTH - MARGIN.right - 60}" y="${HEIGHT - 10}" font-size="12">${Math.round(maxT)} ms</text>`,
    line((s) => s.primaryPps, '#1f77b4'),
    line((s) => s.standbyPps, '#d62728'),
    `<text x="${MARGIN.left + 10}" y="${HEIGHT - 10}" font-size="12" fill="#1f77b4">primary</text>`,
    `<text x="${MARGIN.left + 80}" y="${HEIGHT - 10}" font-size="12" fill="#d62728">standby</text>`,
    marks,
    `</svg>`,
  ].join('\n');
}
