// What `status` and `stats` report of a group: plain values copied out of the live Group, so
// the addon converts them without touching atomics or locks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/rx_filter.h"
#include "hot/counters.h"
#include "hot/group.h"
#include "hot/guest_addresses.h"

namespace vhost_failover {

struct UplinkReport {
  std::string devargs;
  std::string kind;  // uplink_kind_name()
  uint16_t port_id = UINT16_MAX;
  bool present = false;
  bool link_up = false;
  RxFilterOutcome rx_filter;
};

struct GroupStatusReport {
  std::string name;
  bool guest_connected = false;
  UplinkReport uplinks[kUplinks];
  bool primary_eligible = false;
  Path active_path = kNoPath;
  bool announcement_pending = false;  // a round asked for, not yet sent by the worker
  unsigned queues = 1;
  uint32_t guest_rx_queues_enabled = 0;  // a bit per queue the guest receives on
  bool guest_queues_beyond = false;      // the guest enabled queues the group does not have
  std::vector<GuestAddressReport> guest_ipv4;
};

// One port's counters as its driver keeps them (rte_eth_stats); `present` false: no port.
struct PortStatsReport {
  bool present = false;
  uint64_t ipackets = 0, opackets = 0, ibytes = 0, obytes = 0;
  uint64_t imissed = 0, ierrors = 0, oerrors = 0, rx_nombuf = 0;
  std::vector<uint64_t> queue_ipackets, queue_opackets;  // per queue, where the driver counts
};

struct GroupPortStats {
  PortStatsReport vhost;
  PortStatsReport uplinks[kUplinks];
};

struct GroupStatsReport {
  Counters counters;  // summed over the worker lcores
  double last_switch_gap_us = 0;
};

}  // namespace vhost_failover
