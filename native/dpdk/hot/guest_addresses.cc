#include "hot/guest_addresses.h"

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>

#include <algorithm>

namespace vhost_failover {

// The slot already holding key, else the stalest one. Slots fill in order and are never emptied,
// so the first empty slot ends the search.
static int slot_for(const GuestAddresses &table, uint64_t key) {
  int stalest = 0;
  for (int slot = 0; slot < GuestAddresses::kSlots; slot++) {
    const uint64_t held = table.key[slot].load(std::memory_order_relaxed);
    if (held == key) return slot;
    if (held == 0) return slot;
    if (table.last_seen_tsc[slot].load(std::memory_order_relaxed) <
        table.last_seen_tsc[stalest].load(std::memory_order_relaxed))
      stalest = slot;
  }
  return stalest;
}

// The Ethernet-over-IPv4 ARP header of a frame (untagged or in one 802.1Q tag), whole in its
// first segment, or nullptr; *vlan gets the tag's VLAN id (0: untagged).
static const rte_arp_hdr *arp_in(const rte_mbuf *frame, uint16_t *vlan) {
  uint32_t offset = sizeof(rte_ether_hdr);
  *vlan = 0;
  uint16_t type = rte_pktmbuf_mtod(frame, const rte_ether_hdr *)->ether_type;
  if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
    if (rte_pktmbuf_data_len(frame) < offset + sizeof(rte_vlan_hdr)) return nullptr;
    const auto *tag = rte_pktmbuf_mtod_offset(frame, const rte_vlan_hdr *, offset);
    *vlan = rte_be_to_cpu_16(tag->vlan_tci) & 0x0fff;
    type = tag->eth_proto;
    offset += sizeof(rte_vlan_hdr);
  }
  if (type != RTE_BE16(RTE_ETHER_TYPE_ARP)) return nullptr;
  if (rte_pktmbuf_data_len(frame) < offset + sizeof(rte_arp_hdr)) return nullptr;
  const auto *arp = rte_pktmbuf_mtod_offset(frame, const rte_arp_hdr *, offset);
  if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
      arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != RTE_ETHER_ADDR_LEN ||
      arp->arp_plen != 4)
    return nullptr;
  return arp;
}

static uint64_t key_of(uint16_t vlan, uint32_t ipv4) {
  return static_cast<uint64_t>(vlan) << 32 | ipv4;
}

// A unicast host address: not "this network" (0/8), loopback (127/8), multicast (224/4), or
// reserved and broadcast (240/4); nothing a station may claim as its own on a segment.
static bool host_address(uint32_t ipv4_network_order) {
  const uint32_t first_octet = rte_be_to_cpu_32(ipv4_network_order) >> 24;
  return first_octet != 0 && first_octet != 127 && first_octet < 224;
}

void learn_from_frame(GuestAddresses &table, const rte_ether_addr &guest_mac,
                      const rte_mbuf *frame) {
  uint16_t vlan;
  const rte_arp_hdr *arp = arp_in(frame, &vlan);
  if (!arp) return;
  // Only the guest's own frames: not hosts it bridges or routes for (spoofCheck off).
  const auto *eth = rte_pktmbuf_mtod(frame, const rte_ether_hdr *);
  if (!rte_is_same_ether_addr(&eth->src_addr, &guest_mac) ||
      !rte_is_same_ether_addr(&arp->arp_data.arp_sha, &guest_mac))
    return;
  const uint32_t sender = arp->arp_data.arp_sip;
  const uint32_t target = arp->arp_data.arp_tip;
  const uint64_t now = rte_rdtsc();
  // Two queues' workers may learn at once: one slot per address, however they interleave.
  rte_spinlock_lock(&table.writer_lock);
  // A request for another address than the sender's asks who has it: it is not the guest's. A
  // probe (RFC 5227: sender 0.0.0.0) asks for the address the guest is about to take, so no.
  if (arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) && sender != 0 && target != sender)
    table.asked.remember(key_of(vlan, target), now);
  if (host_address(sender)) {
    const uint64_t key = key_of(vlan, sender);
    const int slot = slot_for(table, key);
    table.last_seen_tsc[slot].store(now, std::memory_order_relaxed);
    table.key[slot].store(key, std::memory_order_relaxed);
  }
  rte_spinlock_unlock(&table.writer_lock);
}

void note_network_claim(GuestAddresses &table, const rte_ether_addr &guest_mac,
                        const rte_mbuf *frame) {
  uint16_t vlan;
  const rte_arp_hdr *arp = arp_in(frame, &vlan);
  // The guest's own frames come back on the other uplink where both share a segment.
  if (!arp || arp->arp_data.arp_sip == 0 ||
      rte_is_same_ether_addr(&arp->arp_data.arp_sha, &guest_mac))
    return;
  rte_spinlock_lock(&table.writer_lock);
  table.claimed_by_others.remember(key_of(vlan, arp->arp_data.arp_sip), rte_rdtsc());
  rte_spinlock_unlock(&table.writer_lock);
}

std::string format_ipv4(uint32_t ipv4_network_order) {
  const uint32_t ipv4 = rte_be_to_cpu_32(ipv4_network_order);
  return std::to_string(ipv4 >> 24) + "." + std::to_string(ipv4 >> 16 & 255) + "." +
         std::to_string(ipv4 >> 8 & 255) + "." + std::to_string(ipv4 & 255);
}

std::vector<GuestAddressReport> report_guest_addresses(const GuestAddresses &table,
                                                       uint64_t now_tsc, uint64_t tsc_hz) {
  struct Seen {
    uint64_t key, at;
    bool announced;
  };
  std::vector<Seen> seen;
  for (int slot = 0; slot < GuestAddresses::kSlots; slot++) {
    const uint64_t key = table.key[slot].load(std::memory_order_relaxed);
    if (key != 0)
      seen.push_back({key, table.last_seen_tsc[slot].load(std::memory_order_relaxed),
                      table.fresh(slot, now_tsc)});
  }
  std::sort(seen.begin(), seen.end(), [](const Seen &a, const Seen &b) { return a.at > b.at; });
  const uint64_t tsc_per_ms = std::max<uint64_t>(1, tsc_hz / 1000);
  std::vector<GuestAddressReport> out;
  for (const Seen &entry : seen) {
    const uint64_t age = now_tsc > entry.at ? now_tsc - entry.at : 0;
    out.push_back({format_ipv4(GuestAddresses::ipv4_of(entry.key)),
                   GuestAddresses::vlan_of(entry.key), age / tsc_per_ms, entry.announced});
  }
  return out;
}

}  // namespace vhost_failover
