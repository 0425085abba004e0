// What `worker-stats` reports of each worker: plain values copied out of the live Worker and the
// groups it polls, so the addon converts them without touching atomics or locks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vhost_failover {

// A DPDK port id, or -1 while the role has no port (a detached primary); the guest's lib/vhost
// device id (vid), or -1 while no guest is connected.
struct PollUnitReport {
  std::string group;
  uint16_t queue = 0;
  int guest_vid = -1, primary_port = -1, standby_port = -1;
  uint64_t frames = 0;  // moved by this unit's passes since the group started
};

struct WorkerReport {
  unsigned lcore = 0;
  uint64_t busy_tsc = 0, idle_tsc = 0, asleep_tsc = 0;
  uint64_t frames = 0, passes = 0;
  std::vector<PollUnitReport> poll_units;
};

// One of a port's extended counters (rte_eth_xstats), by the driver's name.
struct PortXstat {
  std::string name;
  uint64_t value = 0;
};

}  // namespace vhost_failover
