// The zero-loss bench's three measurements on a running loop: the throughput search, latency at
// fractions of the zero-loss rate, and one maximum-receive-rate trial for the ratio pairs.
import { lossRatioOf, searchThroughput, type SearchResult } from './search';
import type { LatencySummary, TrialResult } from './generator';
import type { Loop, LoopDirection, LoopSwitch } from './loop';
import { generatorSizes, lineGbps } from './sizes';

export interface TrialSettings {
  trialSeconds: number;
  maxPps: number;
  resolutionPps: number;
  lossRatios: number[];
}

/** A trial as the results keep it: the counts, latency percentiles without the histogram. */
export type TrialRecord = Omit<TrialResult, 'latency' | 'ports'> & {
  generatorLate: boolean;
  receivedElsewhere: number;
  latency: Omit<LatencySummary, 'buckets'>;
};

export interface ThroughputCase {
  switch: LoopSwitch;
  size: string;
  direction: LoopDirection;
  trialSeconds: number;
  /** Per threshold: the rate per sending port, and all ports together. */
  results: Array<{
    lossRatio: number;
    ratePps: number;
    failedPps?: number;
    aggregateMpps: number;
    aggregateGbps: number;
  }>;
  search: SearchResult<TrialRecord>;
}

export interface LatencyCase {
  switch: LoopSwitch;
  size: string;
  direction: LoopDirection;
  /** The zero-loss rate the fraction is of (the 0.001% rate when no rate was loss-free). */
  base: 'ndr' | 'pdr';
  basePps: number;
  fraction: number;
  ratePps: number;
  seconds: number;
  lost: number;
  latency: LatencySummary;
}

// Late: the generator took 1% longer than the trial to offer its frames (it was descheduled).
const isLate = (result: TrialResult) => result.txSeconds > result.seconds * 1.01;

function record(result: TrialResult): TrialRecord {
  const { latency, ports, ...counts } = result;
  const { buckets: _buckets, ...percentiles } = latency;
  // Frames that came back on the port that sent them, or a port that sent nothing, went astray.
  const receivedElsewhere = ports.reduce(
    (n, p) => n + p.receivedOn.reduce((m, count, rx) => m + (rx === 1 - p.port ? 0 : count), 0),
    0,
  );
  return { ...counts, generatorLate: isLate(result), receivedElsewhere, latency: percentiles };
}

export async function throughputCase(
  loop: Loop,
  size: string,
  direction: LoopDirection,
  settings: TrialSettings,
): Promise<ThroughputCase> {
  const ports = direction === 'both' ? 2 : 1;
  const search = await searchThroughput(
    async (ratePps) => {
      const trial = record(
        await loop.trial({ ratePps, seconds: settings.trialSeconds, sizes: generatorSizes(size) }, direction),
      );
      // Frames on the wrong port are not the switch's throughput.
      return { ...trial, received: trial.received - trial.receivedElsewhere };
    },
    { maxPps: settings.maxPps, resolutionPps: settings.resolutionPps, lossRatios: settings.lossRatios },
  );
  const results = search.thresholds.map((t) => ({
    ...t,
    aggregateMpps: Math.round((t.ratePps * ports) / 1e3) / 1e3,
    aggregateGbps: Math.round(lineGbps(t.ratePps * ports, size) * 1000) / 1000,
  }));
  return { switch: loop.which, size, direction, trialSeconds: settings.trialSeconds, results, search };
}

export async function latencyCases(
  loop: Loop,
  throughput: ThroughputCase,
  fractions: number[],
  seconds: number,
): Promise<LatencyCase[]> {
  const [ndr, pdr] = throughput.results;
  const base = ndr.ratePps > 0 ? 'ndr' : 'pdr';
  const basePps = base === 'ndr' ? ndr.ratePps : (pdr?.ratePps ?? 0);
  const cases: LatencyCase[] = [];
  if (basePps === 0) return cases;
  for (const fraction of fractions) {
    const ratePps = Math.max(1, Math.round(basePps * fraction));
    const result = await loop.trial({ ratePps, seconds, sizes: generatorSizes(throughput.size) }, throughput.direction);
    cases.push({
      switch: loop.which,
      size: throughput.size,
      direction: throughput.direction,
      base,
      basePps,
      fraction,
      ratePps,
      seconds,
      lost: result.lost,
      latency: result.latency,
    });
  }
  return cases;
}

export interface ReceiveRate {
  pps: number;
  /** Nothing was lost: the rate is what the generator offered, the switch's limit lies above it. */
  generatorLimited: boolean;
}

/** Frames per second received at an offered rate above what the switch forwards (CSIT's MRR). */
export async function maxReceiveRate(
  loop: Loop,
  size: string,
  direction: LoopDirection,
  settings: TrialSettings,
): Promise<ReceiveRate> {
  const result = await loop.trial(
    { ratePps: settings.maxPps, seconds: settings.trialSeconds, sizes: generatorSizes(size) },
    direction,
  );
  const trial = record(result);
  return {
    pps: (trial.received - trial.receivedElsewhere) / result.txSeconds,
    generatorLimited: lossRatioOf(trial) === 0,
  };
}
