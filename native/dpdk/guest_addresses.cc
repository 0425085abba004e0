#include "guest_addresses.h"

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
  // Two queues' workers may learn at once: one slot per address, however they interleave.
  rte_spinlock_lock(&table.writer_lock);
  const int slot = slot_for(table, key);
  table.last_seen_tsc[slot].store(rte_rdtsc(), std::memory_order_relaxed);
  table.key[slot].store(key, std::memory_order_relaxed);
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
  };
  std::vector<Seen> seen;
  for (int slot = 0; slot < GuestAddresses::kSlots; slot++) {
    const uint64_t key = table.key[slot].load(std::memory_order_relaxed);
    if (key != 0) seen.push_back({key, table.last_seen_tsc[slot].load(std::memory_order_relaxed)});
  }
  std::sort(seen.begin(), seen.end(), [](const Seen &a, const Seen &b) { return a.at > b.at; });
  const uint64_t tsc_per_ms = std::max<uint64_t>(1, tsc_hz / 1000);
  std::vector<GuestAddressReport> out;
  for (const Seen &entry : seen) {
    const uint64_t age = now_tsc > entry.at ? now_tsc - entry.at : 0;
    out.push_back({format_ipv4(GuestAddresses::ipv4_of(entry.key)),
                   GuestAddresses::vlan_of(entry.key), age / tsc_per_ms,
                   age <= table.max_age_tsc.load()});
  }
  return out;
}

}  // namespace vhost_failover
