// A guest that leaves its TCP and UDP checksums to the device (VIRTIO_NET_F_CSUM, which Linux
// guests take) sends frames whose L4 checksum holds only the pseudo-header's sum. lib/vhost, with
// RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS, marks them RTE_MBUF_F_RX_L4_CKSUM_NONE and leaves the
// rest to the application; the uplinks take no checksum offload, so the worker completes the sum
// before a frame leaves (net_vhost did the same in its receive burst). Other guest frames pass
// at the cost of one flag test.
#pragma once

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <cstddef>

namespace vhost_failover {

static inline void complete_guest_checksum(rte_mbuf *m) {
  rte_net_hdr_lens lengths;
  const uint32_t l4 = rte_net_get_ptype(m, &lengths, RTE_PTYPE_ALL_MASK) & RTE_PTYPE_L4_MASK;
  size_t field;
  if (l4 == RTE_PTYPE_L4_TCP)
    field = offsetof(rte_tcp_hdr, cksum);
  else if (l4 == RTE_PTYPE_L4_UDP)
    field = offsetof(rte_udp_hdr, dgram_cksum);
  else
    return;  // SCTP's is a CRC the guest computes itself; nothing else is marked
  const uint32_t l4_start = lengths.l2_len + lengths.l3_len;
  uint16_t sum = 0;
  if (rte_raw_cksum_mbuf(m, l4_start, rte_pktmbuf_pkt_len(m) - l4_start, &sum) < 0) return;
  sum = static_cast<uint16_t>(~sum);
  if (sum == 0 && l4 == RTE_PTYPE_L4_UDP) sum = 0xffff;  // RFC 768: 0 means no checksum
  if (rte_pktmbuf_data_len(m) < l4_start + field + sizeof(sum)) return;
  *rte_pktmbuf_mtod_offset(m, uint16_t *, l4_start + field) = sum;
  m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_RX_L4_CKSUM_MASK) | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
}

static inline void complete_guest_checksums(rte_mbuf **pkts, uint16_t n) {
  for (uint16_t i = 0; i < n; i++)
    if ((pkts[i]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE)
      complete_guest_checksum(pkts[i]);
}

}  // namespace vhost_failover
