// Summaries that hold up on a noisy machine: the median, and a distribution-free 95% interval
// for it from order statistics (the number of samples below the true median is Binomial(n, 1/2),
// so [x(j), x(n+1-j)] covers it with probability 1 - 2 P(B < j)). No resampling: the same
// samples always give the same interval.

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export interface MedianInterval {
  median: number;
  low: number;
  high: number;
  /** The interval's exact coverage (at least the confidence asked for). */
  coverage: number;
  samples: number;
}

/** P(B <= k) for B ~ Binomial(n, 1/2). */
function binomialHalfCdf(n: number, k: number): number {
  let term = Math.pow(0.5, n);
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return sum;
}

/** Undefined with fewer than 6 samples: no pair of order statistics then covers 95%. */
export function medianInterval(values: number[], confidence = 0.95): MedianInterval | undefined {
  const n = values.length;
  const tail = (1 - confidence) / 2;
  let j = 0; // the interval is [x(j), x(n+1-j)], 1-based; the largest j whose tail fits
  while (j + 1 <= n / 2 && binomialHalfCdf(n, j) <= tail) j++;
  if (j === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: median(values),
    low: sorted[j - 1],
    high: sorted[n - j],
    coverage: 1 - 2 * binomialHalfCdf(n, j - 1),
    samples: n,
  };
}
