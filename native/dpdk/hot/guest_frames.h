// What a guest may send, checked per frame in the worker at burst cost: a frame must hold an
// Ethernet header, fit the group's MTU (with one 802.1Q tag), and, unless the group lets the
// guest route or bridge, come from the guest's own MAC. Everything else is dropped and counted
// by reason before any uplink sees it.
//
// No chained mbuf ever passes: the mbuf pool is sized so that the largest frame any group may
// send fits one buffer (eal.cc), and a longer frame is what makes the vhost port chain buffers,
// so every chain is oversize. The uplinks can therefore run without
// RTE_ETH_TX_OFFLOAD_MULTI_SEGS, which keeps the vector tx paths common VF drivers select only
// without it.
#pragma once

#include <rte_branch_prediction.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstdint>

#include "hot/counters.h"

namespace vhost_failover {

struct GuestFrameRules {
  uint32_t max_frame_bytes = 1518;  // MTU + Ethernet header + one VLAN tag
  bool spoof_check = true;          // the source MAC must be the guest's
  rte_ether_addr mac{};
};

// The counter a frame is dropped under (its drop cause, counters.def), or nullptr when it may
// leave. Reads the mbuf header and the first 12 bytes of data, which the vhost dequeue has just
// written.
using GuestFrameFault = uint64_t Counters::*;

static inline GuestFrameFault guest_frame_fault(const GuestFrameRules &rules, const rte_mbuf *m) {
  if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)) return &Counters::tx_dropped_runt;
  if (unlikely(rte_pktmbuf_pkt_len(m) > rules.max_frame_bytes))
    return &Counters::tx_dropped_oversize;
  const auto *eth = rte_pktmbuf_mtod(m, const rte_ether_hdr *);
  if (rules.spoof_check && unlikely(!rte_is_same_ether_addr(&eth->src_addr, &rules.mac)))
    return &Counters::tx_dropped_spoofed;
  return nullptr;
}

// Keeps the frames the guest may send at the front of pkts, in order; frees and counts the rest.
// Returns how many were kept.
static inline uint16_t drop_forbidden_frames(const GuestFrameRules &rules, rte_mbuf **pkts,
                                             uint16_t n, Counters &counters) {
  uint16_t kept = 0;
  for (uint16_t i = 0; i < n; i++) {
    const GuestFrameFault fault = guest_frame_fault(rules, pkts[i]);
    if (likely(fault == nullptr)) {
      pkts[kept++] = pkts[i];
      continue;
    }
    count(counters.*fault, 1);
    rte_pktmbuf_free(pkts[i]);
  }
  return kept;
}

}  // namespace vhost_failover
