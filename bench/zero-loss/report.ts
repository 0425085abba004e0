// The zero-loss bench's results as Markdown tables and CSV rows; every CSV row carries the
// test bed's columns, so a row copied out of the file still says where it was measured.
import { toCsv, type CsvRow } from '../csv';
import { testbedColumns, testbedSentence, type Testbed } from '../testbed';
import type { LatencyCase, ThroughputCase } from './measure';
import type { RatioRun } from './ratios';

export interface ZeroLossReport {
  at: string;
  testbed: Testbed;
  /** Said in every report: the bench ran beside other work on the machine. */
  note: string;
  throughput: ThroughputCase[];
  latency: LatencyCase[];
  ratios: RatioRun[];
}

const DIRECTION_NAMES = { guestToNetwork: 'guest → network', networkToGuest: 'network → guest', both: 'both at once' };
const mpps = (pps: number) => (pps / 1e6).toFixed(3);
const us = (ns: number | undefined) => (ns === undefined ? '–' : (ns / 1000).toFixed(1));
const lossName = (ratio: number) => (ratio === 0 ? 'ndr' : `pdr${ratio * 100}%`);

export function markdownReport(report: ZeroLossReport): string {
  const lines = [`Measured ${report.at}. ${testbedSentence(report.testbed)} ${report.note}`, ''];
  if (report.throughput.length > 0) {
    lines.push(
      'Zero-loss throughput (NDR: no frame lost; PDR: at most 0.001% lost), binary search, ' +
        `trials of ${report.throughput[0].trialSeconds} s, resolution ${report.throughput[0].search.resolutionPps} pps, ` +
        'rates per sending port (both at once: each port at that rate). Mpps and Gbps (L1, 20 B of preamble and gap a frame) are all ports together.',
      '',
      '| Size | Direction | Switch | NDR (Mpps) | NDR (Gbps) | PDR (Mpps) | Trials | Late trials |',
      '| --- | --- | --- | --: | --: | --: | --: | --: |',
    );
    for (const c of report.throughput) {
      const [ndr, pdr] = c.results;
      lines.push(
        `| ${c.size} | ${DIRECTION_NAMES[c.direction]} | ${c.switch} | ${ndr.aggregateMpps.toFixed(3)} | ${ndr.aggregateGbps.toFixed(3)} | ` +
          `${pdr ? pdr.aggregateMpps.toFixed(3) : '–'} | ${c.search.trials.length} | ${c.search.trials.filter((x) => x.generatorLate).length} |`,
      );
    }
  }
  if (report.latency.length > 0) {
    lines.push(
      '',
      'Latency at fractions of the zero-loss rate (of the 0.001% rate where no rate was loss-free): every received frame, ' +
        'from the generator’s transmit burst to its receive burst; percentiles are bucket upper bounds (≤ 6% wide).',
      '',
      '| Size | Direction | Switch | Of | Rate (Mpps) | p50 (µs) | p90 (µs) | p99 (µs) | p99.9 (µs) | max (µs) | Lost |',
      '| --- | --- | --- | --: | --: | --: | --: | --: | --: | --: | --: |',
    );
    for (const l of report.latency)
      lines.push(
        `| ${l.size} | ${DIRECTION_NAMES[l.direction]} | ${l.switch} | ${l.fraction * 100}% ${l.base.toUpperCase()} | ${mpps(l.ratePps)} | ` +
          `${us(l.latency.p50Ns)} | ${us(l.latency.p90Ns)} | ${us(l.latency.p99Ns)} | ${us(l.latency.p999Ns)} | ${us(l.latency.maxNs)} | ${l.lost} |`,
      );
  }
  for (const r of report.ratios) {
    const range = (i: { median: number; low: number; high: number }, digits: number) =>
      `**${i.median.toFixed(digits)}** [${i.low.toFixed(digits)}, ${i.high.toFixed(digits)}]`;
    lines.push(
      '',
      `Ratio vhost-failover / testpmd io, ${r.size} B, ${DIRECTION_NAMES[r.direction]}: ${r.pairs.length} alternating pairs (A B A B ..., a fresh ` +
        `switch each trial), each a ${r.trialSeconds} s trial offered ${mpps(r.offeredPps)} Mpps a port, the received rate compared. ` +
        `Median with its 95% interval from order statistics (coverage ${(r.ratio.coverage * 100).toFixed(1)}%). ` +
        `Trials that lost nothing (the generator, not the switch, was the limit): ` +
        `vhost-failover ${r.pairs.filter((p) => p.generatorLimited['vhost-failover']).length}, ` +
        `testpmd io ${r.pairs.filter((p) => p.generatorLimited['testpmd-io']).length}.`,
      '',
      '| Ratio | Interval width | vhost-failover (Mpps) | testpmd io (Mpps) |',
      '| --: | --: | --: | --: |',
      `| ${range(r.ratio, 3)} | ${(r.ratio.high - r.ratio.low).toFixed(3)} | ${range(r.mpps['vhost-failover'], 3)} | ${range(r.mpps['testpmd-io'], 3)} |`,
    );
  }
  return lines.join('\n') + '\n';
}

export function resultsCsv(report: ZeroLossReport): string {
  const bed = testbedColumns(report.testbed);
  const rows: CsvRow[] = [];
  for (const c of report.throughput)
    for (const r of c.results)
      rows.push({
        kind: 'throughput',
        switch: c.switch,
        size: c.size,
        direction: c.direction,
        measure: lossName(r.lossRatio),
        lossRatio: r.lossRatio,
        ratePpsPerPort: r.ratePps,
        failedPpsPerPort: r.failedPps,
        aggregateMpps: r.aggregateMpps,
        aggregateGbps: r.aggregateGbps,
        trialSeconds: c.trialSeconds,
        resolutionPps: c.search.resolutionPps,
        trials: c.search.trials.length,
        ...bed,
      });
  for (const l of report.latency)
    rows.push({
      kind: 'latency',
      switch: l.switch,
      size: l.size,
      direction: l.direction,
      measure: `${l.fraction * 100}% ${l.base}`,
      ratePpsPerPort: l.ratePps,
      trialSeconds: l.seconds,
      lost: l.lost,
      p50Ns: l.latency.p50Ns,
      p90Ns: l.latency.p90Ns,
      p99Ns: l.latency.p99Ns,
      p999Ns: l.latency.p999Ns,
      maxNs: l.latency.maxNs,
      ...bed,
    });
  for (const r of report.ratios)
    rows.push({
      kind: 'ratio',
      switch: 'vhost-failover/testpmd-io',
      size: r.size,
      direction: r.direction,
      measure: r.measure,
      trialSeconds: r.trialSeconds,
      pairs: r.pairs.length,
      ratioMedian: r.ratio.median,
      ratioLow95: r.ratio.low,
      ratioHigh95: r.ratio.high,
      coverage: r.ratio.coverage,
      ...bed,
    });
  return toCsv(rows);
}

/** Every trial of every search, one row each. */
export function trialsCsv(report: ZeroLossReport): string {
  const bed = testbedColumns(report.testbed);
  return toCsv(
    report.throughput.flatMap((c) =>
      c.search.trials.map((trial, i) => ({
        switch: c.switch,
        size: c.size,
        direction: c.direction,
        step: i + 1,
        ratePpsPerPort: trial.ratePps,
        offered: trial.offered,
        received: trial.received,
        lossRatio: trial.lossRatio,
        refused: trial.detail.refused,
        txSeconds: trial.detail.txSeconds,
        generatorLate: trial.generatorLate,
        p99Ns: trial.detail.latency.p99Ns,
        ...bed,
      })),
    ),
  );
}
