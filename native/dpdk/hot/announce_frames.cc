#include "hot/announce_frames.h"

#include <rte_arp.h>

#include <cstring>

namespace vhost_failover {

static constexpr uint16_t kEtherTypeRarp = 0x8035;
static constexpr uint16_t kRarpRequestReverse = 3;
static constexpr uint16_t kMinFrameBytes = 60;  // without CRC

// A zeroed minimum-size broadcast frame from the guest's MAC, with an 802.1Q tag if vlan is not
// 0; returns where the payload (an ARP header) goes.
static rte_arp_hdr *build_broadcast(rte_mbuf *mbuf, const rte_ether_addr &mac, uint16_t type,
                                    uint16_t vlan) {
  char *frame = rte_pktmbuf_append(mbuf, kMinFrameBytes);
  if (!frame) return nullptr;
  memset(frame, 0, kMinFrameBytes);
  auto *eth = reinterpret_cast<rte_ether_hdr *>(frame);
  memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
  rte_ether_addr_copy(&mac, &eth->src_addr);
  char *payload = frame + sizeof(rte_ether_hdr);
  if (vlan == 0) {
    eth->ether_type = rte_cpu_to_be_16(type);
  } else {
    eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
    auto *tag = reinterpret_cast<rte_vlan_hdr *>(payload);
    tag->vlan_tci = rte_cpu_to_be_16(vlan);
    tag->eth_proto = rte_cpu_to_be_16(type);
    payload += sizeof(rte_vlan_hdr);
  }
  auto *arp = reinterpret_cast<rte_arp_hdr *>(payload);
  arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = RTE_ETHER_ADDR_LEN;
  arp->arp_plen = 4;
  return arp;
}

bool build_rarp(rte_mbuf *mbuf, const rte_ether_addr &mac) {
  rte_arp_hdr *rarp = build_broadcast(mbuf, mac, kEtherTypeRarp, 0);
  if (!rarp) return false;
  rarp->arp_opcode = RTE_BE16(kRarpRequestReverse);
  rte_ether_addr_copy(&mac, &rarp->arp_data.arp_sha);
  rte_ether_addr_copy(&mac, &rarp->arp_data.arp_tha);
  return true;
}

bool build_garp(rte_mbuf *mbuf, const rte_ether_addr &mac, uint32_t ipv4, uint16_t vlan) {
  rte_arp_hdr *garp = build_broadcast(mbuf, mac, RTE_ETHER_TYPE_ARP, vlan);
  if (!garp) return false;
  garp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
  rte_ether_addr_copy(&mac, &garp->arp_data.arp_sha);
  garp->arp_data.arp_sip = ipv4;
  garp->arp_data.arp_tip = ipv4;
  return true;
}

}  // namespace vhost_failover
