// Per-lcore packet counters: each slot is written by exactly one worker lcore with plain
// relaxed stores (no locked instructions on the hot path) and summed by readers.
#pragma once

#include <rte_common.h>
#include <rte_lcore.h>

#include <cstdint>

namespace vhost_failover {

struct alignas(RTE_CACHE_LINE_SIZE) Counters {
  // guest -> network, per uplink (index Path)
  uint64_t tx_packets[2];
  uint64_t tx_bytes[2];
  uint64_t tx_dropped_full[2];  // the uplink's tx ring had no room
  uint64_t tx_dropped_no_path;  // neither uplink could carry the burst
  // guest frames refused before any uplink (guest_frames.h)
  uint64_t tx_dropped_runt;      // shorter than an Ethernet header
  uint64_t tx_dropped_oversize;  // longer than the group's MTU allows
  uint64_t tx_dropped_spoofed;   // source MAC not the guest's
  // guest frames lib/vhost took from the guest's ring and freed without handing them over: longer
  // than one mbuf holds (linear buffers), or descriptors it could not read (forward.cc)
  uint64_t tx_dropped_in_vhost;
  // network -> guest, per uplink
  uint64_t rx_packets[2];
  uint64_t rx_bytes[2];
  uint64_t rx_dropped_guest[2];     // guest not ready or its rx ring full
  uint64_t rx_dropped_inactive[2];  // rx: active and this uplink is not transmitting
  uint64_t guest_dequeued;          // frames the guest sent us
  uint64_t announcements_sent[2];   // RARPs for the guest's MAC, per uplink
  uint64_t garps_sent[2];           // gratuitous ARPs for the guest's learned IPv4 addresses
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
