// Guest -> network: dequeue from vhost, send on the path transmit_path() picks for the burst.
// Network -> guest: receive from each uplink, enqueue to vhost. Every mbuf taken here is either
// handed to a driver or freed before the function returns.
#include "forward.h"

#include <rte_ethdev.h>
#include <rte_mbuf.h>

namespace vf {

static uint64_t bytes_of(rte_mbuf *const *pkts, uint16_t n) {
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; i++) bytes += rte_pktmbuf_pkt_len(pkts[i]);
  return bytes;
}

// Sends what it can, frees the rest; returns how many were sent and the bytes they held.
static uint16_t send_or_free(uint16_t port_id, rte_mbuf **pkts, uint16_t n, uint64_t *bytes) {
  *bytes = bytes_of(pkts, n);  // before sending: sent mbufs belong to the driver
  const uint16_t sent = rte_eth_tx_burst(port_id, 0, pkts, n);
  if (sent < n) {
    *bytes -= bytes_of(pkts + sent, n - sent);
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
  }
  return sent;
}

static unsigned guest_to_network(Group &group, Counters &counters) {
  rte_mbuf *pkts[kBurst];
  const uint16_t n = rte_eth_rx_burst(group.vhost_port, 0, pkts, kBurst);
  if (n == 0) return 0;
  count(counters.guest_dequeued, n);
  const Path path = group.transmit_path();
  if (path == kNoPath) {
    rte_pktmbuf_free_bulk(pkts, n);
    count(counters.tx_dropped_no_path, n);
    return n;
  }
  uint64_t bytes;
  const uint16_t sent = send_or_free(group.uplink(path).port_id, pkts, n, &bytes);
  count(counters.tx_packets[path], sent);
  count(counters.tx_bytes[path], bytes);
  if (sent < n) count(counters.tx_dropped_full[path], n - sent);
  return n;
}

static unsigned network_to_guest(Group &group, Path path, Counters &counters) {
  rte_mbuf *pkts[kBurst];
  const uint16_t n = rte_eth_rx_burst(group.uplink(path).port_id, 0, pkts, kBurst);
  if (n == 0) return 0;
  if (!group.delivers_from(path)) {
    rte_pktmbuf_free_bulk(pkts, n);
    count(counters.rx_dropped_inactive[path], n);
    return n;
  }
  uint64_t bytes;
  const uint16_t sent = send_or_free(group.vhost_port, pkts, n, &bytes);
  count(counters.rx_packets[path], sent);
  count(counters.rx_bytes[path], bytes);
  if (sent < n) count(counters.rx_dropped_guest[path], n - sent);
  return n;
}

unsigned poll_group(Group &group) {
  // Cleared only while the group is being taken down: then none of its ports is touched.
  if (!group.vhost_present.load(std::memory_order_relaxed)) return 0;
  Counters &counters = group.counters.mine();
  unsigned moved = guest_to_network(group, counters);
  for (Path path : {kPrimary, kStandby})
    if (group.uplink(path).present.load(std::memory_order_relaxed))
      moved += network_to_guest(group, path, counters);
  return moved;
}

}  // namespace vf
