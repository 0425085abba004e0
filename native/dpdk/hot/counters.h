// Per-lcore packet counters: each slot is written by exactly one worker lcore with plain
// relaxed stores (no locked instructions on the hot path) and summed by readers. The fields are
// listed in counters.def.
#pragma once

#include <rte_common.h>
#include <rte_lcore.h>

#include <cstdint>

namespace vhost_failover {

// A counter's slots: one per uplink (index Path), or one for the group.
#define VHFO_COUNTER_SLOTS_PER_PATH [2]
#define VHFO_COUNTER_SLOTS_ONE

struct alignas(RTE_CACHE_LINE_SIZE) Counters {
#define VHFO_COUNTER(field, paths, ...) uint64_t field VHFO_COUNTER_SLOTS_##paths;
#include "hot/counters.def"
#undef VHFO_COUNTER
};

// Adds to a counter owned by the calling lcore. A relaxed load+store, not fetch_add: only one
// writer exists, so this compiles to a plain add while readers still see untorn values.
static inline void count(uint64_t &slot, uint64_t n) {
  __atomic_store_n(&slot, __atomic_load_n(&slot, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

struct PerLcoreCounters {
  Counters slot[RTE_MAX_LCORE] = {};

  // A sum over all lcores; each field read atomically, the whole not a snapshot.
  Counters sum() const {
    Counters total{};
    auto *out = reinterpret_cast<uint64_t *>(&total);
    for (const Counters &c : slot) {
      auto *in = reinterpret_cast<const uint64_t *>(&c);
      for (size_t i = 0; i < sizeof(Counters) / sizeof(uint64_t); i++)
        out[i] += __atomic_load_n(&in[i], __ATOMIC_RELAXED);
    }
    return total;
  }
};

}  // namespace vhost_failover
