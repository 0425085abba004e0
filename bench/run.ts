// The benchmark: throughput of the switch against the references in the same run (testpmd io,
// and Open vSwitch with an active-backup bond), for each direction and frame size, reported as
// ratios to testpmd io; what an idle group costs; frames lost across a pulled primary. Writes
// bench/results/<time>/ (results.json, results.md, SVG plots) and prints the table.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { measureFailoverLoss, type FailoverLossResult } from '../lab/failover-loss';
import { barChartSvg } from './bar-chart';
import { measureGroups, type GroupsResult } from './groups';
import { LATENCY_SWITCHES, measureLatency, type LatencyResult } from './latency';
import { measureIdleCost, type IdleCost } from '../lab/idle-cost';
import { PrivateOvs } from './ovs';
import { ratePlotSvg, type RateSample } from './plot';
import { Progress } from './progress';
import { measure, type Configuration, type Direction, type Switch } from './throughput';
import { markdownReport } from './report';
import { toCsv } from './csv';
import { collectTestbed, testbedColumns, testbedSentence, type Testbed } from './testbed';
import { referencesBelowFloor } from './reference-floors';

export interface ThroughputCase {
  direction: Direction;
  frameBytes: number;
  /** Queue pairs of the VM's port and the switch's (absent: 1; Open vSwitch only at 1). */
  queues?: number;
  /** Mpps per switch, one per round, in round order. */
  mpps: Partial<Record<Switch, number[]>>;
  /** Each switch's median over the rounds of its rate / testpmd io's in the same round. */
  ratio: Partial<Record<Switch, number>>;
  /** The smallest and largest per-round ratio. */
  spread: Partial<Record<Switch, [number, number]>>;
  /** How each switch and the VM ran (the first round; every round runs the same). */
  configuration: Partial<Record<Switch, Configuration>>;
}

export interface BenchReport {
  at: string;
  testbed: Testbed;
  rounds: number;
  placement: string;
  throughput: ThroughputCase[];
  groups: GroupsCase[];
  /** Every round's results, both switches, both rates. */
  latency: LatencyResult[];
  idle: IdleCost[];
  failovers: FailoverLossResult[];
}

export interface GroupsCase {
  groups: number;
  /** Per round, both switches. */
  rounds: Array<{ testpmd: GroupsResult; daemon: GroupsResult }>;
  /** Medians over the rounds. */
  daemonAggregateMpps: number;
  testpmdAggregateMpps: number;
  ratio: number;
  daemonFairness: number;
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DIRECTIONS = (process.env.BENCH_DIRECTIONS ?? 'guestToNetwork,networkToGuest')
  .split(',')
  .filter(Boolean) as Direction[];
// Empty lists leave a section out: BENCH_FRAME_SIZES= BENCH_QUEUES= BENCH_GROUPS= runs latency and idle cost only.
const FRAME_SIZES = (process.env.BENCH_FRAME_SIZES ?? '64,512,1518,9000').split(',').filter(Boolean).map(Number);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 3000);
const GROUP_COUNTS = (process.env.BENCH_GROUPS ?? '1,8,10').split(',').filter(Boolean).map(Number);
// Multi-queue cases (64 B, both directions), beside the one-queue cases above.
const QUEUE_COUNTS = (process.env.BENCH_QUEUES ?? '2').split(',').filter(Boolean).map(Number);

const round2 = (n: number) => Math.round(n * 100) / 100;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// The references beside testpmd io: DPDK's own failover ports and Open vSwitch, with one queue
// pair (BENCH_SKIP_PMD_FAILOVER and BENCH_SKIP_OVS leave them out). BENCH_OVS_FLOODING=1 adds
// Open vSwitch as the runs before 2026-12-06 set it up, for the before and after in one run.
function switches(queues = 1): Switch[] {
  const names: Switch[] = ['testpmd-io', 'vhost-failover'];
  if (queues > 1) return names;
  if (!process.env.BENCH_SKIP_PMD_FAILOVER) names.push('testpmd-bond', 'testpmd-failsafe');
  if (!process.env.BENCH_SKIP_OVS && PrivateOvs.available()) {
    names.push('ovs-bond');
    if (process.env.BENCH_OVS_FLOODING) names.push('ovs-bond-flooding');
  }
  return names;
}

async function throughputCase(
  direction: Direction,
  frameBytes: number,
  progress: Progress,
  queues = 1,
): Promise<ThroughputCase> {
  const names = switches(queues);
  const label = queues > 1 ? `, ${queues} queue pairs` : '';
  const mpps: Partial<Record<Switch, number[]>> = {};
  const ratios: Partial<Record<Switch, number[]>> = {};
  const configuration: ThroughputCase['configuration'] = {};
  // Interleaved rounds, each switch's ratio taken against the reference of the same round: a
  // noisy neighbour or a moved vCPU hurts the round's every switch alike.
  for (let round = 0; round < ROUNDS; round++) {
    const rates: Partial<Record<Switch, number>> = {};
    for (const name of names) {
      progress.step(`${direction} ${frameBytes} B${label}, round ${round + 1}/${ROUNDS}: ${name}`);
      const measured = await measure(name, direction, frameBytes, WINDOW_MS, queues);
      rates[name] = measured.pps;
      configuration[name] ??= measured.configuration;
      (mpps[name] ??= []).push(round2(rates[name]! / 1e6));
    }
    for (const name of names) (ratios[name] ??= []).push(rates[name]! / rates['testpmd-io']!);
  }
  const ratio: ThroughputCase['ratio'] = {};
  const spread: ThroughputCase['spread'] = {};
  for (const name of names) {
    ratio[name] = round2(median(ratios[name]!));
    spread[name] = [round2(Math.min(...ratios[name]!)), round2(Math.max(...ratios[name]!))];
  }
  return { direction, frameBytes, ...(queues > 1 ? { queues } : {}), mpps, ratio, spread, configuration };
}

async function groupsCase(groups: number, progress: Progress): Promise<GroupsCase> {
  const rounds: GroupsCase['rounds'] = [];
  for (let round = 0; round < ROUNDS; round++) {
    progress.step(`${groups} groups on one worker, round ${round + 1}/${ROUNDS}`);
    const testpmd = await measureGroups('testpmd-io', groups, WINDOW_MS);
    const daemon = await measureGroups('vhost-failover', groups, WINDOW_MS);
    rounds.push({ testpmd, daemon });
  }
  return {
    groups,
    rounds,
    daemonAggregateMpps: median(rounds.map((r) => r.daemon.aggregateMpps)),
    testpmdAggregateMpps: median(rounds.map((r) => r.testpmd.aggregateMpps)),
    ratio: round2(median(rounds.map((r) => r.daemon.aggregateMpps / r.testpmd.aggregateMpps))),
    daemonFairness: median(rounds.map((r) => r.daemon.fairness)),
  };
}

/** Per-uplink rates between consecutive samples, across the pull. */
function failoverPlot(result: FailoverLossResult): string {
  const samples = result.samples!;
  const rates: RateSample[] = samples.slice(1).map((sample, i) => {
    const seconds = (sample.tMs - samples[i].tMs) / 1000;
    return {
      tMs: sample.tMs,
      primaryPps: (sample.primary - samples[i].primary) / seconds,
      standbyPps: (sample.standby - samples[i].standby) / seconds,
    };
  });
  const title = `Frames per second on each uplink, primary tap pulled at ${result.ratePps} pps`;
  return ratePlotSvg(title, rates, [{ tMs: result.pullAtMs ?? 0, label: 'ip link set down' }]);
}

async function main(): Promise<void> {
  const skipFailover = Boolean(process.env.BENCH_SKIP_FAILOVER);
  const latencySwitches = process.env.BENCH_SKIP_LATENCY ? [] : LATENCY_SWITCHES;
  const idleModes = process.env.BENCH_SKIP_IDLE ? [] : (['rx interrupts', 'timed back-off', 'busy polling'] as const);
  const steps =
    DIRECTIONS.length * FRAME_SIZES.length * ROUNDS * switches().length +
    DIRECTIONS.length * QUEUE_COUNTS.length * ROUNDS * 2 +
    GROUP_COUNTS.length * ROUNDS +
    latencySwitches.length * ROUNDS +
    idleModes.length +
    (skipFailover ? 0 : ROUNDS);
  const progress = new Progress(steps);
  const report: BenchReport = {
    at: new Date().toISOString(),
    rounds: ROUNDS,
    placement: 'VM (testpmd on net_virtio_user) on CPU 0; forwarding lcore on the last CPU; net_null uplinks',
    testbed: collectTestbed(
      { vm: 'CPU 0', switchForwarding: `CPU ${os.cpus().length - 1}`, switchControl: 'CPU 0' },
      { rounds: ROUNDS, windowMs: WINDOW_MS, frameSizes: FRAME_SIZES, queues: QUEUE_COUNTS, groups: GROUP_COUNTS },
    ),
    throughput: [],
    groups: [],
    latency: [],
    idle: [],
    failovers: [],
  };
  for (const direction of DIRECTIONS)
    for (const frameBytes of FRAME_SIZES) report.throughput.push(await throughputCase(direction, frameBytes, progress));
  for (const queues of QUEUE_COUNTS)
    for (const direction of DIRECTIONS) report.throughput.push(await throughputCase(direction, 64, progress, queues));
  for (const groups of GROUP_COUNTS) report.groups.push(await groupsCase(groups, progress));
  for (let round = 0; round < ROUNDS; round++)
    for (const which of latencySwitches) {
      progress.step(`latency round ${round + 1}/${ROUNDS}: ${which}`);
      report.latency.push(...(await measureLatency(which)));
    }

  for (const mode of idleModes) {
    progress.step(`idle cost: ${mode}`);
    report.idle.push(await measureIdleCost(mode));
  }
  for (let round = 0; round < (skipFailover ? 0 : ROUNDS); round++) {
    progress.step(`failover round ${round + 1}/${ROUNDS}`);
    report.failovers.push(await measureFailoverLoss(1000, true, round === 0 ? 5 : 0));
  }
  progress.done();

  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results', report.at.replace(/[:.]/g, '-'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(report, null, 2) + '\n');
  const markdown = `${testbedSentence(report.testbed)}\n\n${markdownReport(report)}`;
  fs.writeFileSync(path.join(dir, 'results.md'), markdown);
  const bed = testbedColumns(report.testbed);
  const rows = report.throughput.flatMap((c) =>
    Object.entries(c.mpps).map(([name, rounds]) => ({
      direction: c.direction,
      frameBytes: c.frameBytes,
      queues: c.queues ?? 1,
      switch: name,
      mppsPerRound: rounds!.join(' '),
      ratioToTestpmdIo: c.ratio[name as Switch],
      ...bed,
    })),
  );
  fs.writeFileSync(path.join(dir, 'results.csv'), toCsv(rows));
  for (const direction of DIRECTIONS) {
    const clusters = report.throughput
      .filter((c) => c.direction === direction)
      .map((c) => ({
        label: `${c.frameBytes} B${(c.queues ?? 1) > 1 ? `, ${c.queues} queues` : ''}`,
        bars: Object.entries(c.ratio).map(([name, value]) => ({ name, value: value! })),
      }));
    fs.writeFileSync(
      path.join(dir, `throughput-${direction}.svg`),
      barChartSvg(`${direction}: Mpps as a ratio to testpmd io in the same round (median)`, '×', clusters),
    );
  }
  const most = report.groups[report.groups.length - 1];
  if (most)
    fs.writeFileSync(
      path.join(dir, 'groups-fairness.svg'),
      barChartSvg(
        `${most.groups} groups on one worker: each group's Mpps, guest → network, 64 B (round 1)`,
        ' Mpps',
        most.rounds[0].daemon.perGroupMpps.map((value, i) => ({
          label: `vm${i}`,
          bars: [{ name: 'vhost-failover', value }],
        })),
      ),
    );
  if (report.latency.length > 0) {
    const rates = [...new Set(report.latency.map((l) => l.rate))];
    const clusters = rates.flatMap((rate) =>
      (['p50Us', 'p99Us', 'p999Us'] as const).map((q) => ({
        label: `${rate} ${q.replace('Us', '').replace('p999', 'p99.9')}`,
        bars: LATENCY_SWITCHES.map((name) => ({
          name,
          value: median(report.latency.filter((l) => l.rate === rate && l.which === name).map((l) => l[q] / 1000)),
        })),
      })),
    );
    fs.writeFileSync(
      path.join(dir, 'latency.svg'),
      barChartSvg('Round-trip latency through the switch (ms, medians over rounds)', ' ms', clusters),
    );
  }
  const sampled = report.failovers.find((result) => result.samples);
  if (sampled) fs.writeFileSync(path.join(dir, 'failover.svg'), failoverPlot(sampled));
  console.log(`\n${markdown}\nresults: ${dir}`);
  // After the results are written, so a failed check leaves them to read.
  const belowFloor = referencesBelowFloor(report.throughput);
  if (belowFloor.length > 0) {
    console.error(
      `\nREFERENCE CHECK FAILED: a reference ran below its floor; do not publish this run.\n${belowFloor.join('\n')}`,
    );
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
