#include "guest_addresses.h"

#include <rte_arp.h>
#include <rte_cycles.h>

namespace vf {

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

void learn_from_frame(GuestAddresses &table, const rte_ether_addr &guest_mac,
                      const rte_mbuf *frame) {
  uint32_t offset = sizeof(rte_ether_hdr);
  uint16_t vlan = 0;
  const auto *eth = rte_pktmbuf_mtod(frame, const rte_ether_hdr *);
  uint16_t type = eth->ether_type;
  if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
    if (rte_pktmbuf_data_len(frame) < offset + sizeof(rte_vlan_hdr)) return;
    const auto *tag = rte_pktmbuf_mtod_offset(frame, const rte_vlan_hdr *, offset);
    vlan = rte_be_to_cpu_16(tag->vlan_tci) & 0x0fff;
    type = tag->eth_proto;
    offset += sizeof(rte_vlan_hdr);
  }
  if (type != RTE_BE16(RTE_ETHER_TYPE_ARP)) return;
  if (rte_pktmbuf_data_len(frame) < offset + sizeof(rte_arp_hdr)) return;
  const auto *arp = rte_pktmbuf_mtod_offset(frame, const rte_arp_hdr *, offset);
  if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
      arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != RTE_ETHER_ADDR_LEN ||
      arp->arp_plen != 4)
    return;
  // Only the guest's own addresses: not hosts it bridges or routes for, and not an address
  // probe (RFC 5227 probes carry 0.0.0.0 while the guest checks for a conflict).
  if (!rte_is_same_ether_addr(&arp->arp_data.arp_sha, &guest_mac)) return;
  const uint32_t ipv4 = arp->arp_data.arp_sip;
  if (ipv4 == 0) return;
  const uint64_t key = static_cast<uint64_t>(vlan) << 32 | ipv4;
  const int slot = slot_for(table, key);
  table.last_seen_tsc[slot].store(rte_rdtsc(), std::memory_order_relaxed);
  table.key[slot].store(key, std::memory_order_relaxed);
}

}  // namespace vf
