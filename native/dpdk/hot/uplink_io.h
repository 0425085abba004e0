// A burst to or from queue q of an uplink, whichever its kind: one branch per burst, which the
// CPU predicts (an uplink's kind does not change while it is present).
#pragma once

#include <rte_ethdev.h>

#include "hot/group.h"
#include "hot/tap_io.h"

namespace vhost_failover {

static inline uint16_t uplink_rx_burst(Uplink &uplink, uint16_t q, rte_mempool *pool,
                                       rte_mbuf **pkts, uint16_t n) {
  if (uplink.kind == UplinkKind::kTap) return tap_rx_burst(uplink.tap_queues[q], pool, pkts, n);
  return rte_eth_rx_burst(uplink.port_id, q, pkts, n);
}

// Takes what the device takes, from the front; the rest stay the caller's.
static inline uint16_t uplink_tx_burst(Uplink &uplink, uint16_t q, rte_mbuf **pkts, uint16_t n) {
  if (uplink.kind == UplinkKind::kTap) return tap_tx_burst(uplink.tap_queues[q], pkts, n);
  return rte_eth_tx_burst(uplink.port_id, q, pkts, n);
}

}  // namespace vhost_failover
