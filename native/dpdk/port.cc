#include "port.h"

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

namespace vhost_failover {

static std::string failed(const char *what, uint16_t port_id, int ret) {
  return std::string(what) + " failed on port " + std::to_string(port_id) + ": " +
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

  if ((ret = rte_eth_dev_configure(port_id, 1, 1, &conf)) != 0)
    return failed("rte_eth_dev_configure", port_id, ret);
  uint16_t rx_descriptors = setup.rx_descriptors, tx_descriptors = setup.tx_descriptors;
  if ((ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rx_descriptors, &tx_descriptors)) != 0)
    return failed("rte_eth_dev_adjust_nb_rx_tx_desc", port_id, ret);
  const int socket = rte_eth_dev_socket_id(port_id);
  if ((ret = rte_eth_rx_queue_setup(port_id, 0, rx_descriptors, socket, nullptr, setup.pool)))
    return failed("rte_eth_rx_queue_setup", port_id, ret);
  if ((ret = rte_eth_tx_queue_setup(port_id, 0, tx_descriptors, socket, nullptr)))
    return failed("rte_eth_tx_queue_setup", port_id, ret);
  if (setup.mac &&
      (ret = rte_eth_dev_default_mac_addr_set(port_id, const_cast<rte_ether_addr *>(setup.mac))))
    return failed("setting the guest MAC", port_id, ret);
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

TxDrain port_drain_tx(uint16_t port_id, unsigned timeout_us) {
  rte_eth_txq_info queue;
  if (rte_eth_tx_queue_info_get(port_id, 0, &queue) != 0 || queue.nb_desc == 0)
    return TxDrain::kNotReported;
  const uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() / 1000000 * timeout_us;
  for (;;) {
    // The descriptor one before the next free one is the newest handed to the NIC; once it is
    // done, all are (a ring completes in order).
    const int status = rte_eth_tx_descriptor_status(port_id, 0, queue.nb_desc - 1);
    if (status < 0) return TxDrain::kNotReported;
    if (status != RTE_ETH_TX_DESC_FULL) return TxDrain::kDrained;
    if (rte_get_timer_cycles() > deadline) return TxDrain::kTimedOut;
    rte_delay_us_sleep(10);
  }
}

void port_release(uint16_t port_id) {
  rte_eth_dev_info info;
  rte_device *device = rte_eth_dev_info_get(port_id, &info) == 0 ? info.device : nullptr;
  rte_eth_dev_stop(port_id);
  rte_eth_dev_close(port_id);
  if (device) rte_dev_remove(device);
}

bool port_link_up(uint16_t port_id) {
  rte_eth_link link = {};
  return rte_eth_link_get_nowait(port_id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

}  // namespace vhost_failover
