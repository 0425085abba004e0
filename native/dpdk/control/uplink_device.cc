#include "control/uplink_device.h"

#include <rte_ethdev.h>

#include "os/tap_device.h"

namespace vhost_failover {

static const std::string kTapPrefix = "tap:";

UplinkKind uplink_kind_of(const std::string &devargs) {
  return devargs.compare(0, kTapPrefix.size(), kTapPrefix) == 0 ? UplinkKind::kTap
                                                                : UplinkKind::kEthdev;
}

std::string uplink_open_tap(Uplink &uplink, const std::string &devargs, const PortSetup &setup) {
  const std::string name = devargs.substr(kTapPrefix.size());
  int fds[kMaxQueues];
  const rte_ether_addr *mac = setup.mac_mode == MacMode::kSet ? setup.mac : nullptr;
  const std::string error = tap_create(name, setup.queues, setup.mtu, mac, fds);
  if (!error.empty()) return error;
  for (uint16_t q = 0; q < setup.queues; q++) uplink.tap_queues[q] = TapQueue{fds[q]};
  uplink.tap_name = name;
  return "";
}

void uplink_close_tap(Uplink &uplink, uint16_t queues) {
  if (uplink.kind != UplinkKind::kTap || uplink.tap_name.empty()) return;
  int fds[kMaxQueues];
  for (uint16_t q = 0; q < queues; q++) fds[q] = uplink.tap_queues[q].fd;
  tap_close(fds, queues);
  for (uint16_t q = 0; q < queues; q++) uplink.tap_queues[q].fd = -1;
  uplink.tap_name.clear();
}

bool uplink_link_up(const Uplink &uplink) {
  return uplink.kind == UplinkKind::kTap ? tap_link_up(uplink.tap_name)
                                         : port_link_up(uplink.port_id);
}

static uint64_t load(const uint64_t &counter) {
  return __atomic_load_n(&counter, __ATOMIC_RELAXED);
}

static PortStatsReport tap_stats(const Uplink &uplink, uint16_t queues) {
  PortStatsReport report;
  report.present = true;
  for (uint16_t q = 0; q < queues; q++) {
    const TapQueue &queue = uplink.tap_queues[q];
    report.queue_ipackets.push_back(load(queue.ipackets));
    report.queue_opackets.push_back(load(queue.opackets));
    report.ipackets += report.queue_ipackets.back();
    report.opackets += report.queue_opackets.back();
    report.ibytes += load(queue.ibytes);
    report.obytes += load(queue.obytes);
    report.oerrors += load(queue.oerrors);
    report.rx_nombuf += load(queue.rx_nombuf);
  }
  return report;
}

static PortStatsReport ethdev_port_stats(uint16_t port_id, uint16_t queues) {
  PortStatsReport report;
  rte_eth_stats stats{};
  if (rte_eth_stats_get(port_id, &stats) != 0) return report;
  report = {true,          stats.ipackets, stats.opackets, stats.ibytes,   stats.obytes,
            stats.imissed, stats.ierrors,  stats.oerrors,  stats.rx_nombuf};
  // Per queue, where the driver keeps them (ethdev has room for the first 16).
  for (uint16_t q = 0; q < queues && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++) {
    report.queue_ipackets.push_back(stats.q_ipackets[q]);
    report.queue_opackets.push_back(stats.q_opackets[q]);
  }
  return report;
}

PortStatsReport uplink_device_stats(const Uplink &uplink, uint16_t queues) {
  return uplink.kind == UplinkKind::kTap ? tap_stats(uplink, queues)
                                         : ethdev_port_stats(uplink.port_id, queues);
}

const char *uplink_kind_name(UplinkKind kind) {
  return kind == UplinkKind::kTap ? "tap" : "ethdev";
}

}  // namespace vhost_failover
