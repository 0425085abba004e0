#include "control/port.h"

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>

#include <algorithm>
#include <map>

namespace vhost_failover {

static std::string failed(const std::string &what, uint16_t port_id, int ret) {
  return what + " failed on port " + std::to_string(port_id) + ": " +
         rte_strerror(ret < 0 ? -ret : ret);
}

std::string port_probe(const std::string &devargs, uint16_t *port_id) {
  int ret = rte_dev_probe(devargs.c_str());
  // An existing device belongs to some other port of this daemon: never take it over.
  if (ret == -EEXIST) return "device \"" + devargs + "\" is already in use by this daemon";
  if (ret < 0) return "cannot probe device \"" + devargs + "\": " + rte_strerror(-ret);
  rte_dev_iterator iterator;
  uint16_t id;
  RTE_ETH_FOREACH_MATCHING_DEV(id, devargs.c_str(), &iterator) {
    *port_id = id;
    rte_eth_iterator_cleanup(&iterator);
    return "";
  }
  return "device \"" + devargs + "\" was probed but has no ethdev port";
}

static std::string mac_text(const rte_ether_addr &mac) {
  char text[RTE_ETHER_ADDR_FMT_SIZE];
  rte_ether_format_addr(text, sizeof(text), &mac);
  return text;
}

// The MAC each device (by name: a VF re-probed after a reset or a removal is a new port) carried
// before MacMode::kSet first replaced it, until it is given back. Ports are started and restored
// on the control plane's thread only.
static std::map<std::string, rte_ether_addr> macs_before_set;

// A PF may refuse a VF's MAC (one its administrator pinned, with trust off) without the driver
// saying so: ask the port what it carries now. Some drivers (igbvf) record the address asked for
// whatever the PF answered; the control plane also asks the PF (src/host/vf-mac.ts).
static std::string apply_guest_mac(uint16_t port_id, const rte_ether_addr &guest, MacMode mode) {
  int ret;
  rte_ether_addr before;
  // The first start's: a reset's or a re-probe's start finds the guest's MAC already there.
  const std::string device = port_device_name(port_id);
  if (mode == MacMode::kSet && !device.empty() && !macs_before_set.count(device) &&
      rte_eth_macaddr_get(port_id, &before) == 0 && !rte_is_same_ether_addr(&before, &guest))
    macs_before_set[device] = before;
  if (mode == MacMode::kSet &&
      (ret = rte_eth_dev_default_mac_addr_set(port_id, const_cast<rte_ether_addr *>(&guest))))
    return failed("setting the guest's MAC " + mac_text(guest), port_id, ret) +
           " (its PF refused it? an administrator's MAC with trust off is kept)";
  rte_ether_addr carried;
  if ((ret = rte_eth_macaddr_get(port_id, &carried)) != 0)
    return failed("reading the port's MAC", port_id, ret);
  if (rte_is_same_ether_addr(&carried, &guest)) return "";
  if (mode == MacMode::kSet)
    return "port " + std::to_string(port_id) + " kept its MAC " + mac_text(carried) +
           ": the guest's " + mac_text(guest) + " was refused (by its PF?)";
  return "port " + std::to_string(port_id) + " carries the MAC " + mac_text(carried) +
         ", not the guest's " + mac_text(guest) +
         ": with guestMac: keep its administrator gives it the guest's MAC through the PF (ip link "
         "set <pf> vf <n> mac " +
         mac_text(guest) + ", or vhost-failover prepare-vf), or guestMac: set lets the daemon";
}

std::string port_start(uint16_t port_id, const PortSetup &setup) {
  rte_eth_dev_info info;
  int ret = rte_eth_dev_info_get(port_id, &info);
  if (ret != 0) return failed("rte_eth_dev_info_get", port_id, ret);

  rte_eth_conf conf = {};
  if (setup.mtu != 0) {
    if (setup.mtu < info.min_mtu || setup.mtu > info.max_mtu)
      return "mtu " + std::to_string(setup.mtu) + " is outside port " + std::to_string(port_id) +
             "'s range " + std::to_string(info.min_mtu) + ".." + std::to_string(info.max_mtu);
    conf.rxmode.mtu = setup.mtu;
  }
  // No LSC interrupt: with it on, rte_eth_link_get_nowait() returns the state the last
  // interrupt cached instead of asking the driver, so a driver whose event is late (net_tap's
  // arrives through netlink and the interrupt thread, milliseconds late on a busy host) or
  // missing would blind the monitor and the worker's check. Removal still interrupts.
  conf.intr_conf.lsc = 0;
  conf.intr_conf.rmv = (*info.dev_flags & RTE_ETH_DEV_INTR_RMV) ? 1 : 0;
  // Rx interrupts only where they need nothing from the host: net_vhost (the guest's kick) and
  // net_tap (its fd). A PCI device's needs per-queue MSI-X vectors under VFIO, and asking a
  // driver that cannot fails the configure.
  const bool interrupt_capable =
      info.driver_name &&
      (std::string(info.driver_name) == "net_vhost" || std::string(info.driver_name) == "net_tap");
  conf.intr_conf.rxq = setup.rx_interrupt && interrupt_capable ? 1 : 0;

  const uint16_t queues = setup.queues;
  // DPDK 22.11's net_tap sends every queue's fd in one IPC message at start, with room for 8
  // (RTE_MP_MAX_FD_NUM): more than 4 queue pairs overflow its stack (tap_mp_req_on_rxtx).
  if (info.driver_name && std::string(info.driver_name) == "net_tap" && queues > 4)
    return "port " + std::to_string(port_id) +
           " (net_tap) takes at most 4 queue pairs in this DPDK (its start passes two fds a "
           "queue pair in one 8-fd message); the group asks for " +
           std::to_string(queues);
  if (info.max_rx_queues < queues || info.max_tx_queues < queues)
    return "port " + std::to_string(port_id) + " (" + (info.driver_name ? info.driver_name : "?") +
           ") has at most " + std::to_string(std::min(info.max_rx_queues, info.max_tx_queues)) +
           " queue pairs; the group asks for " + std::to_string(queues);
  // RSS spreads received flows over the queues where the driver hashes them (a VF). net_tap
  // takes the setting and leaves the spreading to its kernel side, a multi-queue tun, which
  // picks a queue by the flow's hash.
  const uint64_t hashes =
      info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
  if (queues > 1 && hashes != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = hashes;
  }

  // DPDK programs VLAN entries (rte_eth_dev_vlan_filter) only on a port configured with the
  // filter; a driver without a run-time switch (igbvf) can get it nowhere else. rx_filter turns
  // it off again where the driver can, until the guest filters VLANs.
  if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_VLAN_FILTER)
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_VLAN_FILTER;

  if ((ret = rte_eth_dev_configure(port_id, queues, queues, &conf)) != 0)
    return failed("rte_eth_dev_configure", port_id, ret);
  uint16_t rx_descriptors = setup.rx_descriptors, tx_descriptors = setup.tx_descriptors;
  if ((ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rx_descriptors, &tx_descriptors)) != 0)
    return failed("rte_eth_dev_adjust_nb_rx_tx_desc", port_id, ret);
  const int socket = rte_eth_dev_socket_id(port_id);
  for (uint16_t q = 0; q < queues; q++) {
    if ((ret = rte_eth_rx_queue_setup(port_id, q, rx_descriptors, socket, nullptr, setup.pool)))
      // Drivers fill the ring from the pool here (net_tap, VFs): ENOMEM is most often the pool.
      return failed("rte_eth_rx_queue_setup", port_id, ret) +
             (ret == -ENOMEM ? " (rx queue " + std::to_string(q) +
                                   ": too few free mbufs? raise dataplane.mbufs, or lower queues "
                                   "or rxDescriptors)"
                             : "");
    if ((ret = rte_eth_tx_queue_setup(port_id, q, tx_descriptors, socket, nullptr)))
      return failed("rte_eth_tx_queue_setup", port_id, ret);
  }
  if (setup.mac && setup.mac_mode != MacMode::kLeave) {
    std::string error = apply_guest_mac(port_id, *setup.mac, setup.mac_mode);
    if (!error.empty()) return error;
  }
  // Multicast the guest joined must reach it whichever path is active; a VF that refuses
  // all-multicast (untrusted) still forwards what its filters allow.
  rte_eth_allmulticast_enable(port_id);
  if ((ret = rte_eth_dev_start(port_id)) != 0) return failed("rte_eth_dev_start", port_id, ret);
  return "";
}

const char *tx_drain_name(TxDrain drain) {
  switch (drain) {
    case TxDrain::kDrained:
      return "drained";
    case TxDrain::kTimedOut:
      return "timed-out";
    default:
      return "not-reported";
  }
}

static TxDrain drain_queue(uint16_t port_id, uint16_t q, uint64_t deadline) {
  rte_eth_txq_info queue;
  if (rte_eth_tx_queue_info_get(port_id, q, &queue) != 0 || queue.nb_desc == 0)
    return TxDrain::kNotReported;
  for (;;) {
    // The descriptor one before the next free one is the newest handed to the NIC; once it is
    // done, all are (a ring completes in order).
    const int status = rte_eth_tx_descriptor_status(port_id, q, queue.nb_desc - 1);
    if (status < 0) return TxDrain::kNotReported;
    if (status != RTE_ETH_TX_DESC_FULL) return TxDrain::kDrained;
    if (rte_get_timer_cycles() > deadline) return TxDrain::kTimedOut;
    rte_delay_us_sleep(10);
  }
}

TxDrain port_drain_tx(uint16_t port_id, uint16_t queues, unsigned timeout_us) {
  const uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() / 1000000 * timeout_us;
  TxDrain result = TxDrain::kNotReported;
  for (uint16_t q = 0; q < queues; q++) {
    const TxDrain drain = drain_queue(port_id, q, deadline);
    if (drain == TxDrain::kTimedOut) return drain;  // the worst one
    if (drain == TxDrain::kDrained) result = drain;
  }
  return result;
}

std::string port_set_guest_mac(uint16_t port_id, const rte_ether_addr &guest) {
  return apply_guest_mac(port_id, guest, MacMode::kSet);
}

void port_restore_mac(uint16_t port_id) {
  const auto saved = macs_before_set.find(port_device_name(port_id));
  if (saved == macs_before_set.end()) return;
  rte_eth_dev_default_mac_addr_set(port_id, &saved->second);
  macs_before_set.erase(saved);
}

void port_release(uint16_t port_id) {
  rte_eth_dev_info info;
  rte_device *device = rte_eth_dev_info_get(port_id, &info) == 0 ? info.device : nullptr;
  rte_eth_dev_stop(port_id);
  rte_eth_dev_close(port_id);
  if (device) rte_dev_remove(device);
}

std::string port_device_name(uint16_t port_id) {
  rte_eth_dev_info info;
  if (rte_eth_dev_info_get(port_id, &info) != 0 || !info.device) return "";
  const char *name = rte_dev_name(info.device);
  return name ? name : "";
}

bool port_link_up(uint16_t port_id) {
  rte_eth_link link = {};
  return rte_eth_link_get_nowait(port_id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

}  // namespace vhost_failover
