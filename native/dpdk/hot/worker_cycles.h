// Where a worker's time goes, as OVS's pmd-stats-show and VPP's show runtime tell it: TSC cycles
// in passes that moved frames (busy), in passes that moved none (idle polling) and in its idle
// waits (asleep), and the frames it moved. The worker is the only writer.
#pragma once

#include <rte_common.h>
#include <rte_cycles.h>

#include <cstdint>

#include "hot/counters.h"

namespace vhost_failover {

// Written with count() (relaxed stores, no locked instruction), read with relaxed loads; on a
// cache line of its own, away from the epoch that quiesce() spins on.
struct alignas(RTE_CACHE_LINE_SIZE) WorkerCycles {
  uint64_t busy_tsc = 0;
  uint64_t idle_tsc = 0;
  uint64_t asleep_tsc = 0;
  uint64_t frames = 0;
};

// The worker's clock: one TSC read after each pass's polling, one more after an idle wait; each
// interval is charged to what the worker did in it (an idle wait's look after arming interrupts,
// worker.cc, to asleep).
class PassClock {
 public:
  explicit PassClock(WorkerCycles &cycles) : cycles_(cycles), last_tsc_(rte_rdtsc()) {}

  void polled(unsigned frames_moved) {
    charge(frames_moved != 0 ? cycles_.busy_tsc : cycles_.idle_tsc);
  }
  void slept() { charge(cycles_.asleep_tsc); }

 private:
  void charge(uint64_t &bucket) {
    const uint64_t now = rte_rdtsc();
    count(bucket, now - last_tsc_);
    last_tsc_ = now;
  }

  WorkerCycles &cycles_;
  uint64_t last_tsc_;
};

}  // namespace vhost_failover
