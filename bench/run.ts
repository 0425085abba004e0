// The benchmark: throughput of the switch against DPDK's testpmd io reference in the same run
// (reported as ratios), and frames lost across a pulled primary. Prints a table and writes
// bench/results/<time>.json.
import fs from 'fs';
import path from 'path';
import { measureFailoverLoss, type FailoverLossResult } from '../lab/failover-loss';
import { ratePlotSvg, type RateSample } from './plot';
import { measure, type Direction } from './throughput';

interface ThroughputRow {
  direction: Direction;
  daemonMpps: number[];
  referenceMpps: number[];
  /** Median of ours over median of the reference. */
  ratio: number;
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const mpps = (pps: number) => Math.round(pps / 1e4) / 100;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function throughput(direction: Direction): Promise<ThroughputRow> {
  const daemon: number[] = [];
  const reference: number[] = [];
  // Interleaved rounds, medians compared: a noisy neighbour hurts both sides alike.
  for (let round = 0; round < ROUNDS; round++) {
    reference.push(await measure('reference', direction));
    daemon.push(await measure('daemon', direction));
  }
  return {
    direction,
    daemonMpps: daemon.map(mpps),
    referenceMpps: reference.map(mpps),
    ratio: Math.round((median(daemon) / median(reference)) * 100) / 100,
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
  const rows: ThroughputRow[] = [];
  const directions = (process.env.BENCH_DIRECTIONS ?? 'guestToNetwork,networkToGuest').split(',') as Direction[];
  for (const direction of directions) {
    const row = await throughput(direction);
    rows.push(row);
    console.log(
      `${direction}: vhost-failover ${row.daemonMpps.join(' / ')} Mpps, ` +
        `testpmd io ${row.referenceMpps.join(' / ')} Mpps; median ratio ${row.ratio}`,
    );
  }
  const failovers: FailoverLossResult[] = [];
  for (let round = 0; round < (process.env.BENCH_SKIP_FAILOVER ? 0 : ROUNDS); round++) {
    const result = await measureFailoverLoss(1000, true, round === 0 ? 5 : 0);
    failovers.push(result);
    console.log(
      `pulled primary at ${result.ratePps} pps: ${result.books.dropped} dropped, ${result.books.lostSilently} lost silently, ` +
        `gap ${result.gapUs} us between the last frame on the primary and the first on the standby, ` +
        `switch ${result.switchAfterPullEndUs.toFixed(0)} us after the pull command returned ` +
        `(${result.switchAfterPullStartUs.toFixed(0)} us after it started)`,
    );
  }
  const linkPollIntervalUs = Number(process.env.BENCH_LINK_POLL_US ?? 1000);
  const report = { at: new Date().toISOString(), frameBytes: 64, linkPollIntervalUs, throughput: rows, failovers };
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${report.at.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nresults: ${file}`);
  const sampled = failovers.find((result) => result.samples);
  if (sampled?.samples) {
    const svg = file.replace(/\.json$/, '-failover.svg');
    fs.writeFileSync(svg, failoverPlot(sampled));
    console.log(`failover plot: ${svg}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
