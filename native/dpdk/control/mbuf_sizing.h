// How many mbufs a group draws from the pools at most, counted as Open vSwitch counts a port's
// (lib/netdev-dpdk.c, dpdk_calculate_mbufs): every rx descriptor filled, every tx descriptor
// holding a frame not yet freed, and a burst per queue in a worker's hands. The one definition:
// the data plane reserves by these (control/dataplane.cc) and the check before EAL asks the
// addon for group_mbufs (groupMbufs, src/host/preflight.ts). Needs no EAL.
#pragma once

#include "hot/forward.h"

namespace vhost_failover {

inline unsigned port_mbufs(unsigned queues, unsigned rx_descriptors, unsigned tx_descriptors) {
  return queues * (rx_descriptors + tx_descriptors + kBurst);
}

// lib/vhost copies into the guest's rings, and takes a burst at a time from the pool when it
// copies out of them: the guest holds no ring of mbufs. An uplink that is a tap reads into the
// same pool, a burst a queue at a time: room for the guest's and two taps' bursts.
inline unsigned guest_mbufs(unsigned queues) {
  return (1 + kUplinks) * port_mbufs(queues, 0, 0);
}

struct GroupSizing {
  unsigned queues = 1;
  unsigned rx_descriptors = 0;
  unsigned tx_descriptors = 0;
  unsigned ethdev_uplinks = 0;  // DPDK ports (a tap:NAME uplink fills no ring)
};

inline unsigned group_mbufs(const GroupSizing &group) {
  return guest_mbufs(group.queues) + group.ethdev_uplinks * port_mbufs(group.queues,
                                                                       group.rx_descriptors,
                                                                       group.tx_descriptors);
}

}  // namespace vhost_failover
