#include "latency_histogram.h"

#include <inttypes.h>
#include <stdio.h>

namespace bench_generator {

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

uint64_t LatencyHistogram::upper_bound_of(unsigned bucket) {
  if (bucket < (1u << kSubBits)) return bucket;
  const unsigned exp = (bucket >> kSubBits) + kSubBits - 1;
  const uint64_t sub = bucket & ((1u << kSubBits) - 1);
  return (((1ull << kSubBits) + sub + 1) << (exp - kSubBits)) - 1;
}

uint64_t LatencyHistogram::percentile(double fraction) const {
  const uint64_t rank = static_cast<uint64_t>(fraction * static_cast<double>(count_ - 1)) + 1;
  uint64_t seen = 0;
  for (unsigned b = 0; b < kBuckets; b++) {
    seen += counts_[b];
    if (seen >= rank) return upper_bound_of(b) < max_ns_ ? upper_bound_of(b) : max_ns_;
  }
  return max_ns_;
}

std::string LatencyHistogram::json() const {
  if (count_ == 0) return "{\"count\":0}";
  char head[512];
  snprintf(head, sizeof head,
           "{\"count\":%" PRIu64 ",\"minNs\":%" PRIu64 ",\"meanNs\":%" PRIu64 ",\"p50Ns\":%" PRIu64
           ",\"p90Ns\":%" PRIu64 ",\"p99Ns\":%" PRIu64 ",\"p999Ns\":%" PRIu64
           ",\"p9999Ns\":%" PRIu64 ",\"maxNs\":%" PRIu64 ",\"buckets\":[",
           count_, min_ns_, sum_ns_ / count_, percentile(0.5), percentile(0.9), percentile(0.99),
           percentile(0.999), percentile(0.9999), max_ns_);
  std::string out = head;
  bool first = true;
  for (unsigned b = 0; b < kBuckets; b++) {
    if (counts_[b] == 0) continue;
    char pair[64];
    snprintf(pair, sizeof pair, "%s[%" PRIu64 ",%" PRIu64 "]", first ? "" : ",", upper_bound_of(b),
             counts_[b]);
    out += pair;
    first = false;
  }
  return out + "]}";
}

}  // namespace bench_generator
