// How the link monitor learns that a port's link changed, per driver. Reading a link is cheap,
// but a thread that reads every port at 1 kHz shares a CPU with the VMs on a host like ours; so
// each port is read when something says it may have changed, and polled only when nothing can.
#pragma once

#include <cstdint>

namespace vhost_failover {

enum class LinkSource : uint8_t {
  kLscEvent,  // the driver raises RTE_ETH_EVENT_INTR_LSC even with intr_conf.lsc off (iavf,
              // from its PF's virtchnl message)
  kNetlink,   // a kernel interface backs the port (net_tap, af_packet, mlx5): RTM_NEWLINK
  kStatic,    // the link follows only our own start and stop (net_null, net_ring)
  kPolled,    // nothing tells (ixgbevf, unknown drivers): read it every poll interval
};

LinkSource link_source_of(uint16_t port_id);
const char *link_source_name(LinkSource source);

}  // namespace vhost_failover
