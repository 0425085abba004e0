// What the guest wants to receive, mirrored onto both uplinks as Linux net_failover syncs its
// VF's and standby's filters: the multicast list and the VLAN filter. A vhost-user backend never
// sees the guest's control-queue requests (QEMU handles them); the control plane reads them from
// QEMU (QMP query-rx-filter) and hands them here.
#pragma once

#include <rte_ether.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vhost_failover {

struct RxFilter {
  // The guest takes every multicast frame (promiscuous, all-multicast, or a list too long for
  // its table): the uplinks get all-multicast. Also the state before the guest has said anything.
  bool all_multicast = true;
  std::vector<rte_ether_addr> multicast;
  // The guest filters VLANs: only the listed ones (possibly none) reach it.
  bool vlan_filtering = false;
  std::vector<uint16_t> vlans;
};

// How one uplink took the filter, in words for `status`: "list of 3", "all", or why not.
struct RxFilterOutcome {
  std::string multicast = "all";
  std::string vlan = "all";
};

// The VLAN entries to enable and to disable on a port that holds `applied`, so that it holds
// what `filter` asks for (nothing while the guest does not filter VLANs). Pure.
struct VlanChanges {
  std::vector<uint16_t> add;
  std::vector<uint16_t> remove;
};
VlanChanges vlan_changes(const std::vector<uint16_t> &applied, const RxFilter &filter);

// Programs one started port; applied_vlans holds what an earlier call enabled and is updated.
// Ports without a multicast list keep all-multicast; ports without a VLAN filter pass every VLAN
// (the guest's own driver still drops what it did not ask for).
RxFilterOutcome rx_filter_apply(uint16_t port_id, const RxFilter &filter,
                                std::vector<uint16_t> *applied_vlans);

}  // namespace vhost_failover
