// The throughput search of RFC 2544 section 26.1 as NFVbench and FD.io CSIT run it: a binary
// search over the offered rate, one trial of fixed length per step, for the highest rate whose
// loss is within each threshold (0 for NDR, 0.001% for PDR). Both thresholds share the trials:
// a trial's loss ratio narrows every threshold's interval, and the next trial halves the widest
// interval still wider than the resolution. Loss is counted against frames offered.

export interface TrialCounts {
  offered: number;
  received: number;
  /** The generator fell behind its schedule: the rate was offered in later bursts. */
  generatorLate: boolean;
}

export interface SearchOptions {
  /** The first trial's rate and the search's ceiling. */
  maxPps: number;
  /** The search stops once a threshold's interval is this narrow. */
  resolutionPps: number;
  /** Loss ratios the results are found for, such as [0, 1e-5]. */
  lossRatios: number[];
}

export interface SearchTrial<T> extends TrialCounts {
  ratePps: number;
  lossRatio: number;
  detail: T;
}

export interface ThresholdResult {
  lossRatio: number;
  /** The highest rate that passed (0: none did). */
  ratePps: number;
  /** The lowest rate that failed (absent: maxPps passed). */
  failedPps?: number;
}

export interface SearchResult<T> {
  resolutionPps: number;
  maxPps: number;
  thresholds: ThresholdResult[];
  /** Every trial, in the order run. */
  trials: Array<SearchTrial<T>>;
}

export const lossRatioOf = (counts: TrialCounts): number =>
  counts.offered === 0 ? 1 : Math.max(0, counts.offered - counts.received) / counts.offered;

export async function searchThroughput<T extends TrialCounts>(
  trial: (ratePps: number) => Promise<T>,
  options: SearchOptions,
): Promise<SearchResult<T>> {
  const bounds = options.lossRatios.map((lossRatio) => ({ lossRatio, passed: 0, failed: Infinity }));
  const trials: Array<SearchTrial<T>> = [];
  const width = (b: (typeof bounds)[number]) => Math.min(b.failed, options.maxPps) - b.passed;
  for (;;) {
    const open = bounds.filter((b) => b.passed < options.maxPps && width(b) > options.resolutionPps);
    if (open.length === 0) break;
    const widest = open.reduce((a, b) => (width(b) > width(a) ? b : a));
    // The ceiling first; then halfway between what passed and what failed.
    const ratePps = Math.round(widest.failed === Infinity ? options.maxPps : (widest.passed + widest.failed) / 2);
    const detail = await trial(ratePps);
    const lossRatio = lossRatioOf(detail);
    trials.push({
      ratePps,
      lossRatio,
      offered: detail.offered,
      received: detail.received,
      generatorLate: detail.generatorLate,
      detail,
    });
    for (const b of bounds)
      if (lossRatio <= b.lossRatio) b.passed = Math.max(b.passed, ratePps);
      else b.failed = Math.min(b.failed, ratePps);
    // A noisy machine can pass a rate above one that failed; the failure stands as the bound.
    for (const b of bounds)
      if (b.passed >= b.failed)
        b.passed = trials
          .filter((t) => t.ratePps < b.failed && t.lossRatio <= b.lossRatio)
          .reduce((m, t) => Math.max(m, t.ratePps), 0);
  }
  return {
    resolutionPps: options.resolutionPps,
    maxPps: options.maxPps,
    thresholds: bounds.map((b) => ({
      lossRatio: b.lossRatio,
      ratePps: b.passed,
      ...(b.failed === Infinity ? {} : { failedPps: b.failed }),
    })),
    trials,
  };
}
