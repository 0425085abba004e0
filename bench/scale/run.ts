// The scale bench: N groups on one worker for each N asked (SCALE_GROUPS, default 1, 8, 16 and
// 32), as many as the daemon holds, with their uplinks in the form SCALE_UPLINKS names
// (lab/group-fleet.ts; default ethdev-primary, a DPDK port a group): a first run adds groups
// until the daemon refuses one, or one more than the most measured, and its refusal is reported. Every trial measures each N once, in alternating order (ascending in
// even trials, descending in odd ones), and each N's figures are ratios to N = 1 in the same
// trial: the median over the trials and the smallest and largest. Writes
// bench/results/scale-<time>/ (results.json, results.csv, results.md) and prints the table.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { GUEST_PORTS_MAX, UPLINK_FORMS, type UplinkForm } from '../../lab/group-fleet';
import { toCsv } from '../csv';
import { Progress } from '../progress';
import { median } from '../stats';
import { collectTestbed, testbedColumns, testbedSentence, type Testbed } from '../testbed';
import { measureScale, probeCapacity, type ScaleSample } from './measure';

const TRIALS = Number(process.env.SCALE_TRIALS ?? 5);
const WINDOW_MS = Number(process.env.SCALE_WINDOW_MS ?? 2000);
const ASKED = (process.env.SCALE_GROUPS ?? '1,8,16,32').split(',').filter(Boolean).map(Number);
const UPLINKS = (process.env.SCALE_UPLINKS ?? 'ethdev-primary') as UplinkForm;
const UPLINKS_TOLD: Record<UplinkForm, string> = {
  'ethdev-primary': "a net_tap primary (one DPDK port a group, a VF's stand-in) and the daemon's own tap as standby",
  'own-taps': "the daemon's own taps (tap:IFNAME), no DPDK port",
  'net-taps': 'net_tap ports, two DPDK ports a group',
};

/** The figures a trial compares to its N = 1: their ratio, its median and spread. */
const RATIO_FIELDS = ['aggregateMpps', 'startMs', 'rssPerGroupKiB', 'statusMs', 'scrapeMs', 'scrapeBytes'] as const;
type RatioField = (typeof RATIO_FIELDS)[number];

interface Summary {
  median: number;
  min: number;
  max: number;
}

export interface ScaleCase {
  groups: number;
  /** Each trial's sample, in trial order. */
  samples: ScaleSample[];
  /** Medians of the absolute figures over the trials. */
  absolute: Record<RatioField | 'fairness', number>;
  /** Fairness itself (slowest group over fastest): 1 at N = 1 by definition. */
  fairness: Summary;
  /** Each figure over N = 1's in the same trial. */
  ratioToOne: Record<RatioField, Summary>;
}

export interface ScaleReport {
  at: string;
  testbed: Testbed;
  trials: number;
  windowMs: number;
  uplinks: string;
  /** Groups asked for, and the most the daemon took with its refusal of the next. */
  asked: number[];
  capacity: { groups: number; refusal?: string };
  cases: ScaleCase[];
}

const summary = (values: number[]): Summary => ({
  median: Math.round(median(values) * 1000) / 1000,
  min: Math.round(Math.min(...values) * 1000) / 1000,
  max: Math.round(Math.max(...values) * 1000) / 1000,
});
const spread = (s: Summary) => `${s.median} (${s.min}–${s.max})`;

function summarise(groups: number, samples: ScaleSample[], ones: ScaleSample[]): ScaleCase {
  const absolute = Object.fromEntries(
    [...RATIO_FIELDS, 'fairness' as const].map((field) => [field, median(samples.map((s) => s[field]))]),
  ) as ScaleCase['absolute'];
  const ratioToOne = Object.fromEntries(
    RATIO_FIELDS.map((field) => [field, summary(samples.map((s, trial) => s[field] / ones[trial][field]))]),
  ) as ScaleCase['ratioToOne'];
  return { groups, samples, absolute, fairness: summary(samples.map((s) => s.fairness)), ratioToOne };
}

function markdown(report: ScaleReport): string {
  const capacity = report.capacity.refusal
    ? `The daemon took ${report.capacity.groups} groups and refused the next: "${report.capacity.refusal}"`
    : `The daemon took every group asked for (${report.capacity.groups})`;
  const header =
    '| Groups | Aggregate Mpps | × N=1 | Fairness | add-group of all, ms | × N=1 | RSS per group, KiB | × N=1 | ' +
    'status, ms | × N=1 | scrape, bytes | × N=1 | scrape, ms | × N=1 |';
  const rows = report.cases.map((c) => {
    const cell = (field: RatioField) => `${c.absolute[field]} | ${spread(c.ratioToOne[field])}`;
    return (
      `| ${c.groups} | ${cell('aggregateMpps')} | ${spread(c.fairness)} | ${cell('startMs')} | ${cell('rssPerGroupKiB')} | ` +
      `${cell('statusMs')} | ${cell('scrapeBytes')} | ${cell('scrapeMs')} |`
    );
  });
  return [
    `${testbedSentence(report.testbed)}`,
    '',
    `${capacity}. Uplinks: ${report.uplinks}. ${report.trials} trials in alternating order, ` +
      `${report.windowMs} ms windows; absolute figures are medians over the trials, ratios are to N = 1 in the ` +
      'same trial: median (smallest–largest).',
    '',
    header,
    `|${'---|'.repeat(14)}`,
    ...rows,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  if (!UPLINK_FORMS.includes(UPLINKS)) throw new Error(`SCALE_UPLINKS must be one of ${UPLINK_FORMS.join(', ')}`);
  // One testpmd is the guest of at most GUEST_PORTS_MAX groups; the probe, with no guests, asks
  // for one more than are measured, so that the report says whether the daemon takes it.
  const most = Math.min(Math.max(...ASKED), GUEST_PORTS_MAX);
  const progress = new Progress(1 + TRIALS * ASKED.length);
  progress.step(`how many groups the daemon takes, up to ${most + 1}`);
  const filling = await probeCapacity(most + 1, UPLINKS);
  const counts = [...new Set([...ASKED.filter((n) => n <= filling.added), ...(filling.refusal ? [filling.added] : [])])]
    .filter((n) => n >= 1 && n <= most)
    .sort((a, b) => a - b);
  if (!counts.includes(1)) counts.unshift(1); // the ratios' reference
  const samples = new Map<number, ScaleSample[]>(counts.map((n) => [n, []]));
  for (let trial = 0; trial < TRIALS; trial++) {
    const order = trial % 2 === 0 ? counts : [...counts].reverse();
    for (const groups of order) {
      progress.step(`trial ${trial + 1}/${TRIALS}: ${groups} groups`);
      samples.get(groups)!.push(await measureScale(groups, WINDOW_MS, UPLINKS));
    }
  }
  progress.done();

  const ones = samples.get(1)!;
  const report: ScaleReport = {
    at: new Date().toISOString(),
    testbed: collectTestbed(
      {
        guests: 'CPU 0 (one testpmd, one port per group)',
        worker: `CPU ${os.cpus().length - 1}`,
        daemonControl: 'CPU 0',
      },
      { trials: TRIALS, windowMs: WINDOW_MS, groups: ASKED, uplinks: UPLINKS },
    ),
    trials: TRIALS,
    windowMs: WINDOW_MS,
    uplinks: UPLINKS_TOLD[UPLINKS],
    asked: ASKED,
    capacity: { groups: filling.added, ...(filling.refusal ? { refusal: filling.refusal } : {}) },
    cases: counts.map((n) => summarise(n, samples.get(n)!, ones)),
  };
  const dir = path.resolve(__dirname, '..', '..', '..', 'bench', 'results', `scale-${report.at.replace(/[:.]/g, '-')}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(report, null, 2) + '\n');
  const table = markdown(report);
  fs.writeFileSync(path.join(dir, 'results.md'), table);
  const bed = testbedColumns(report.testbed);
  const rows = report.cases.flatMap((c) =>
    c.samples.map((s, trial) => {
      const { perGroupMpps, addMs, ...figures } = s;
      return { trial: trial + 1, ...figures, perGroupMpps: perGroupMpps.join(' '), addMs: addMs.join(' '), ...bed };
    }),
  );
  fs.writeFileSync(path.join(dir, 'results.csv'), toCsv(rows));
  console.log(`\n${table}\nresults: ${dir}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
