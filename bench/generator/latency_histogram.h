// A log-linear histogram of latencies in nanoseconds (16 buckets per power of two: every
// bucket's width is at most 1/16 of its values), cheap enough to record every received frame.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace bench_generator {

class LatencyHistogram {
 public:
  LatencyHistogram();
  void record(uint64_t ns) {
    counts_[bucket_of(ns)]++;
    count_++;
    sum_ns_ += ns;
    if (ns < min_ns_) min_ns_ = ns;
    if (ns > max_ns_) max_ns_ = ns;
  }
  // {"count","minNs","meanNs","p50Ns",...,"maxNs","buckets":[[upperNs,count],...]}; a
  // percentile is the upper bound of the bucket that holds it.
  std::string json() const;

 private:
  static constexpr unsigned kSubBits = 4;
  static constexpr unsigned kBuckets = (64 - kSubBits + 1) << kSubBits;
  static unsigned bucket_of(uint64_t ns) {
    if (ns < (1u << kSubBits)) return static_cast<unsigned>(ns);
    const unsigned exp = 63 - __builtin_clzll(ns);
    const unsigned sub = (ns >> (exp - kSubBits)) & ((1u << kSubBits) - 1);
    return ((exp - kSubBits + 1) << kSubBits) + sub;
  }
  static uint64_t upper_bound_of(unsigned bucket);
  uint64_t percentile(double fraction) const;

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
  uint64_t min_ns_ = UINT64_MAX;
  uint64_t max_ns_ = 0;
};

}  // namespace bench_generator
