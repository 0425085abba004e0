// The guest's IPv4 addresses, learned from the ARP frames it sends, so that an announcement can
// carry a gratuitous ARP for each (as Linux bonding's num_grat_arp does) besides QEMU's RARP:
// routers and hosts then update their ARP caches, not only switches their MAC tables.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace vhost_failover {

// A small table, written by the workers that poll the group's queues (one at a time, under
// writer_lock: only a guest's ARP frame takes it) and read by anyone without it. A slot holds
// (VLAN id << 32 | IPv4 address in network order); 0 is empty. A reader may see an address with
// its previous slot's age: harmless for a status line or an announcement.
struct GuestAddresses {
  static constexpr int kSlots = 8;
  std::atomic<uint64_t> key[kSlots]{};
  std::atomic<uint64_t> last_seen_tsc[kSlots]{};
  std::atomic<uint64_t> max_age_tsc{0};  // 0 turns learning off; a reload may change it
  rte_spinlock_t writer_lock = RTE_SPINLOCK_INITIALIZER;

  static uint32_t ipv4_of(uint64_t key) { return static_cast<uint32_t>(key); }
  static uint16_t vlan_of(uint64_t key) { return static_cast<uint16_t>(key >> 32); }
  bool fresh(int slot, uint64_t now_tsc) const {
    return key[slot].load(std::memory_order_relaxed) != 0 &&
           now_tsc - last_seen_tsc[slot].load(std::memory_order_relaxed) <=
               max_age_tsc.load(std::memory_order_relaxed);
  }
};

// One learned address as `status` shows it.
struct GuestAddressReport {
  std::string address;  // dotted quad
  uint16_t vlan = 0;    // 0: untagged
  uint64_t last_seen_ms_ago = 0;
  bool announced = false;  // young enough for the next round's GARP
};

// The table's addresses, newest first, aged against now_tsc.
std::vector<GuestAddressReport> report_guest_addresses(const GuestAddresses &table,
                                                       uint64_t now_tsc, uint64_t tsc_hz);

// "a.b.c.d" of an IPv4 address in network byte order.
std::string format_ipv4(uint32_t ipv4_network_order);

// Records the sender of an ARP frame (untagged or in one 802.1Q tag) if it is the guest itself.
void learn_from_frame(GuestAddresses &table, const rte_ether_addr &guest_mac,
                      const rte_mbuf *frame);

// Workers only, on each burst the guest sent, before the burst is handed to a driver. Costs one
// load of the EtherType per frame, from data the vhost dequeue has just written.
static inline void learn_guest_addresses(GuestAddresses &table, const rte_ether_addr &guest_mac,
                                         rte_mbuf *const *pkts, uint16_t n) {
  if (table.max_age_tsc.load(std::memory_order_relaxed) == 0) return;
  for (uint16_t i = 0; i < n; i++) {
    const uint16_t type = rte_pktmbuf_mtod(pkts[i], const rte_ether_hdr *)->ether_type;
    if (unlikely(type == RTE_BE16(RTE_ETHER_TYPE_ARP) || type == RTE_BE16(RTE_ETHER_TYPE_VLAN)))
      learn_from_frame(table, guest_mac, pkts[i]);
  }
}

}  // namespace vhost_failover
