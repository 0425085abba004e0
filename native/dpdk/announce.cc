#include "announce.h"

#include <rte_arp.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstring>

namespace vf {

static constexpr uint16_t kEtherTypeRarp = 0x8035;
static constexpr uint16_t kRarpRequestReverse = 3;
static constexpr uint16_t kMinFrameBytes = 60;  // without CRC

static rte_mbuf *build_rarp(rte_mempool *pool, const rte_ether_addr &mac) {
  rte_mbuf *mbuf = rte_pktmbuf_alloc(pool);
  if (!mbuf) return nullptr;
  char *frame = rte_pktmbuf_append(mbuf, kMinFrameBytes);
  if (!frame) {
    rte_pktmbuf_free(mbuf);
    return nullptr;
  }
  memset(frame, 0, kMinFrameBytes);
  auto *eth = reinterpret_cast<rte_ether_hdr *>(frame);
  memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
  rte_ether_addr_copy(&mac, &eth->src_addr);
  eth->ether_type = rte_cpu_to_be_16(kEtherTypeRarp);
  auto *rarp = reinterpret_cast<rte_arp_hdr *>(eth + 1);
  rarp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  rarp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  rarp->arp_hlen = RTE_ETHER_ADDR_LEN;
  rarp->arp_plen = 4;
  rarp->arp_opcode = rte_cpu_to_be_16(kRarpRequestReverse);
  rte_ether_addr_copy(&mac, &rarp->arp_data.arp_sha);
  rte_ether_addr_copy(&mac, &rarp->arp_data.arp_tha);
  return mbuf;
}

void send_requested_announcement(Group &group, Counters &counters) {
  if (!group.announce_requested.load(std::memory_order_relaxed)) return;
  if (!group.announce_requested.exchange(false, std::memory_order_acquire)) return;
  const Path path = group.transmit_path();
  if (path == kNoPath) return;
  rte_mbuf *rarp = build_rarp(group.pool, group.guest_mac);
  if (!rarp) return;
  if (rte_eth_tx_burst(group.uplink(path).port_id, 0, &rarp, 1) == 1)
    count(counters.announcements_sent[path], 1);
  else
    rte_pktmbuf_free(rarp);
}

}  // namespace vf
