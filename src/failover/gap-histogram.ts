// The failover gaps of one group (last frame on the old path to the first on the new), counted
// in buckets as a Prometheus histogram keeps them: cumulative counts per upper bound.

/** Upper bounds in seconds: 10 us to 5 s, the range from a VF's refused send to a slow bridge. */
export const GAP_BUCKETS_S = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

export interface GapHistogramSnapshot {
  /** Cumulative: gaps at most each bound in GAP_BUCKETS_S, then +Inf. */
  cumulative: number[];
  count: number;
  sumSeconds: number;
}

export class GapHistogram {
  private readonly perBucket = new Array<number>(GAP_BUCKETS_S.length + 1).fill(0);
  private count = 0;
  private sumSeconds = 0;

  observe(gapUs: number): void {
    const seconds = gapUs / 1e6;
    const bucket = GAP_BUCKETS_S.findIndex((bound) => seconds <= bound);
    this.perBucket[bucket < 0 ? GAP_BUCKETS_S.length : bucket]++;
    this.count++;
    this.sumSeconds += seconds;
  }

  snapshot(): GapHistogramSnapshot {
    let running = 0;
    const cumulative = this.perBucket.map((n) => (running += n));
    return { cumulative, count: this.count, sumSeconds: this.sumSeconds };
  }
}
