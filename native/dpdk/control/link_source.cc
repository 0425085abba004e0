#include "control/link_source.h"

#include <rte_ethdev.h>

#include <cstring>

namespace vhost_failover {

LinkSource link_source_of(uint16_t port_id) {
  rte_eth_dev_info info;
  if (rte_eth_dev_info_get(port_id, &info) != 0 || !info.driver_name) return LinkSource::kPolled;
  const char *driver = info.driver_name;
  // Only drivers read to call rte_eth_dev_callback_process() for LSC whatever intr_conf says;
  // others that advertise RTE_ETH_DEV_INTR_LSC raise it only with lsc on, and lsc on makes
  // rte_eth_link_get_nowait() answer from that event's cache (port.cc keeps it off).
  if (strcmp(driver, "net_iavf") == 0) return LinkSource::kLscEvent;
  if (info.if_index != 0) return LinkSource::kNetlink;
  if (strcmp(driver, "net_null") == 0 || strcmp(driver, "net_ring") == 0)
    return LinkSource::kStatic;
  return LinkSource::kPolled;
}

const char *link_source_name(LinkSource source) {
  switch (source) {
    case LinkSource::kLscEvent:
      return "lsc";
    case LinkSource::kNetlink:
      return "netlink";
    case LinkSource::kStatic:
      return "static";
    default:
      return "poll";
  }
}

}  // namespace vhost_failover
