#include "control/rx_filter.h"

#include <rte_ethdev.h>

#include <algorithm>
#include <cstring>

namespace vhost_failover {

// Why a port still passes everything.
static std::string refused(const char *what, int ret) {
  const bool unsupported = ret == -ENOTSUP || ret == -ENOSYS;
  const std::string why = unsupported ? std::string("unsupported by the driver")
                                      : std::string(what) + " failed: " + strerror(-ret);
  return why + "; all pass";
}

// Every multicast group for the port. A VF's PF may refuse it (an i40e or ice PF does unless the
// VF is trusted): then say so, never report a filter the port does not apply.
static std::string all_multicast(uint16_t port_id, const std::string &why) {
  const int ret = rte_eth_allmulticast_enable(port_id);
  if (ret == 0) return why;
  return why + ", but all-multicast was refused (" + strerror(-ret) +
         "): groups outside the port's own filter do not pass (a VF: ip link set <pf> vf <n> "
         "trust on, or prepare-vf --trust)";
}

static std::string apply_multicast(uint16_t port_id, const RxFilter &filter) {
  if (filter.all_multicast) {
    rte_eth_dev_set_mc_addr_list(port_id, nullptr, 0);  // drop an earlier list; may be unsupported
    return all_multicast(port_id, "all");
  }
  auto *list = const_cast<rte_ether_addr *>(filter.multicast.data());
  const int ret =
      rte_eth_dev_set_mc_addr_list(port_id, list, static_cast<uint32_t>(filter.multicast.size()));
  if (ret != 0) return all_multicast(port_id, refused("rte_eth_dev_set_mc_addr_list", ret));
  // The list is in place: only now stop taking every group.
  rte_eth_allmulticast_disable(port_id);
  return "list of " + std::to_string(filter.multicast.size());
}

static int set_vlan_filter_offload(uint16_t port_id, bool on) {
  const int current = rte_eth_dev_get_vlan_offload(port_id);
  if (current < 0) return current;
  const int wanted =
      on ? current | RTE_ETH_VLAN_FILTER_OFFLOAD : current & ~RTE_ETH_VLAN_FILTER_OFFLOAD;
  return wanted == current ? 0 : rte_eth_dev_set_vlan_offload(port_id, wanted);
}

// A port whose VLAN filter stays on (port_start asks for it where the driver offers it; igbvf
// has no switch to turn it off, its PF filters for it) passes a tagged frame only for a VLAN it
// holds: say so rather than "all".
static std::string filter_stays_on(int ret) {
  return std::string(
             "untagged only; tagged frames do not pass (the VLAN filter cannot be switched "
             "off: ") +
         strerror(-ret) + ")";
}

VlanChanges vlan_changes(const std::vector<uint16_t> &applied, const RxFilter &filter) {
  auto holds = [](const std::vector<uint16_t> &list, uint16_t vlan) {
    return std::find(list.begin(), list.end(), vlan) != list.end();
  };
  VlanChanges changes;
  const std::vector<uint16_t> none;
  const std::vector<uint16_t> &wanted = filter.vlan_filtering ? filter.vlans : none;
  for (uint16_t vlan : wanted)
    if (!holds(applied, vlan) && !holds(changes.add, vlan)) changes.add.push_back(vlan);
  for (uint16_t vlan : applied)
    if (!holds(wanted, vlan)) changes.remove.push_back(vlan);
  return changes;
}

// Removes the entries in `vlans` from the port and from *applied.
static void remove_vlans(uint16_t port_id, const std::vector<uint16_t> &vlans,
                         std::vector<uint16_t> *applied) {
  for (uint16_t vlan : vlans) {
    rte_eth_dev_vlan_filter(port_id, vlan, 0);
    applied->erase(std::remove(applied->begin(), applied->end(), vlan), applied->end());
  }
}

static std::string apply_vlans(uint16_t port_id, const RxFilter &filter,
                               std::vector<uint16_t> *applied) {
  rte_eth_dev_info info;
  if (rte_eth_dev_info_get(port_id, &info) != 0 ||
      !(info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_VLAN_FILTER)) {
    applied->clear();
    return filter.vlan_filtering ? refused("", -ENOTSUP) : "all";
  }
  const VlanChanges changes = vlan_changes(*applied, filter);
  if (!filter.vlan_filtering) {
    remove_vlans(port_id, changes.remove, applied);  // entries only change while filtering
    const int ret = set_vlan_filter_offload(port_id, false);
    return ret == 0 ? "all" : filter_stays_on(ret);
  }
  // DPDK takes entries only while the filter is on; new entries go in before stale ones go out.
  int ret = set_vlan_filter_offload(port_id, true);
  if (ret != 0) return refused("enabling the VLAN filter", ret);
  std::vector<uint16_t> refused_vlans;
  int refusal = 0;
  for (uint16_t vlan : changes.add) {
    if ((ret = rte_eth_dev_vlan_filter(port_id, vlan, 1)) == 0) {
      applied->push_back(vlan);
      continue;
    }
    // Where the filter can go off, every VLAN passes and the guest's driver drops the rest.
    const int off = set_vlan_filter_offload(port_id, false);
    if (off == 0) {
      remove_vlans(port_id, std::vector<uint16_t>(*applied), applied);
      return refused("rte_eth_dev_vlan_filter", ret);
    }
    refused_vlans.push_back(vlan);  // the filter stays on: the others still pass
    refusal = ret;
  }
  remove_vlans(port_id, changes.remove, applied);
  std::string outcome = "list of " + std::to_string(applied->size());
  if (refused_vlans.empty()) return outcome;
  outcome += "; refused (" + std::string(strerror(-refusal)) + ", tagged frames do not pass):";
  for (uint16_t vlan : refused_vlans) {
    outcome += ' ';
    outcome += std::to_string(vlan);
  }
  return outcome;
}

RxFilterOutcome rx_filter_apply(uint16_t port_id, const RxFilter &filter,
                                std::vector<uint16_t> *applied_vlans) {
  RxFilterOutcome outcome;
  outcome.multicast = apply_multicast(port_id, filter);
  outcome.vlan = apply_vlans(port_id, filter, applied_vlans);
  return outcome;
}

}  // namespace vhost_failover
