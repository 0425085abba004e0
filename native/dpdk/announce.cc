#include "announce.h"

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstring>

namespace vf {

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

// QEMU's announcement after a migration: "where is my IP?" from the guest's MAC, to everyone.
static bool build_rarp(rte_mbuf *mbuf, const rte_ether_addr &mac) {
  rte_arp_hdr *rarp = build_broadcast(mbuf, mac, kEtherTypeRarp, 0);
  if (!rarp) return false;
  rarp->arp_opcode = RTE_BE16(kRarpRequestReverse);
  rte_ether_addr_copy(&mac, &rarp->arp_data.arp_sha);
  rte_ether_addr_copy(&mac, &rarp->arp_data.arp_tha);
  return true;
}

// The gratuitous ARP Linux sends when an address moves (arp_send on NETDEV_NOTIFY_PEERS): a
// broadcast request for the address itself, which refreshes every ARP cache that holds it.
static bool build_garp(rte_mbuf *mbuf, const rte_ether_addr &mac, uint32_t ipv4, uint16_t vlan) {
  rte_arp_hdr *garp = build_broadcast(mbuf, mac, RTE_ETHER_TYPE_ARP, vlan);
  if (!garp) return false;
  garp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
  rte_ether_addr_copy(&mac, &garp->arp_data.arp_sha);
  garp->arp_data.arp_sip = ipv4;
  garp->arp_data.arp_tip = ipv4;
  return true;
}

// One round's frames: the RARP first, then a GARP per address the guest used recently.
// Returns how many were built into frames[].
static uint16_t build_round(Group &group, rte_mbuf **frames) {
  const GuestAddresses &addresses = group.guest_addresses;
  const uint64_t now = rte_rdtsc();
  uint16_t built = 0;
  for (int slot = -1; slot < GuestAddresses::kSlots; slot++) {
    if (slot >= 0 && !addresses.fresh(slot, now)) continue;
    rte_mbuf *mbuf = rte_pktmbuf_alloc(group.pool);
    if (!mbuf) break;
    const uint64_t key = slot >= 0 ? addresses.key[slot].load(std::memory_order_relaxed) : 0;
    const bool ok = slot < 0 ? build_rarp(mbuf, group.guest_mac)
                             : build_garp(mbuf, group.guest_mac, GuestAddresses::ipv4_of(key),
                                          GuestAddresses::vlan_of(key));
    if (!ok) {
      rte_pktmbuf_free(mbuf);
      break;
    }
    frames[built++] = mbuf;
  }
  return built;
}

void send_requested_announcement(Group &group, Counters &counters) {
  if (!group.announce_requested.load(std::memory_order_relaxed)) return;
  if (!group.announce_requested.exchange(false, std::memory_order_acquire)) return;
  const Path path = group.transmit_path();
  if (path == kNoPath) return;
  rte_mbuf *frames[1 + GuestAddresses::kSlots];
  const uint16_t built = build_round(group, frames);
  if (built == 0) return;
  const uint16_t sent = rte_eth_tx_burst(group.uplink(path).port_id, 0, frames, built);
  // frames[0] is the RARP; the rest are GARPs.
  if (sent > 0) count(counters.announcements_sent[path], 1);
  if (sent > 1) count(counters.garps_sent[path], sent - 1);
  if (sent < built) rte_pktmbuf_free_bulk(frames + sent, built - sent);
}

}  // namespace vf
