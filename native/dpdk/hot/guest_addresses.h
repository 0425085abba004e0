// The guest's IPv4 addresses, learned from the ARP frames it sends, so that an announcement can
// carry a gratuitous ARP for each (as Linux bonding's num_grat_arp does) besides QEMU's RARP:
// routers and hosts then update their ARP caches, not only switches their MAC tables.
//
// The daemon speaks for the guest only where the guest is believed: an address is announced only
// if the guest's own frame (Ethernet and ARP sender MAC both the guest's) claimed it within the
// max age, it is a unicast host address (not 0/8, 127/8, multicast or 240/4), no other station
// claimed it on the segment within the max age (an ARP from another sender MAC, seen on an
// uplink, before or after the guest's claim), and the guest did not itself ask who has it (an ARP
// request for it: an address a guest looks up is someone else's, its gateway's above all). At most
// kSlots addresses. So a guest that claims its gateway's address poisons ARP caches with its own
// frames only, never the daemon's repeats of them after every switch. A guest can still claim an
// unused address of the segment, as it could by configuring it; the daemon then repeats no more
// than the guest itself sends.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace vhost_failover {

// Addresses recently seen in some role, each with when it was last seen; the stalest is replaced
// when full. Written under GuestAddresses::writer_lock, read without it.
template <int kSlots>
struct RecentAddresses {
  std::atomic<uint64_t> key[kSlots]{};
  std::atomic<uint64_t> seen_tsc[kSlots]{};

  void remember(uint64_t address_key, uint64_t now_tsc) {
    int slot = 0;
    for (int i = 0; i < kSlots; i++) {
      const uint64_t held = key[i].load(std::memory_order_relaxed);
      if (held == address_key || held == 0) {
        slot = i;
        break;
      }
      if (seen_tsc[i].load(std::memory_order_relaxed) <
          seen_tsc[slot].load(std::memory_order_relaxed))
        slot = i;
    }
    seen_tsc[slot].store(now_tsc, std::memory_order_relaxed);
    key[slot].store(address_key, std::memory_order_relaxed);
  }
  bool holds(uint64_t address_key, uint64_t now_tsc, uint64_t max_age_tsc) const {
    for (int i = 0; i < kSlots; i++)
      if (key[i].load(std::memory_order_relaxed) == address_key &&
          now_tsc - seen_tsc[i].load(std::memory_order_relaxed) <= max_age_tsc)
        return true;
    return false;
  }
};

// The guest's table, written by the workers that poll the group's queues (one at a time, under
// writer_lock: only an ARP frame takes it) and read by anyone without it. A key is (VLAN id << 32
// | IPv4 address in network order); 0 is empty. A reader may see an address with its previous
// slot's age: harmless for a status line or an announcement.
struct GuestAddresses {
  static constexpr int kSlots = 8;
  std::atomic<uint64_t> key[kSlots]{};
  std::atomic<uint64_t> last_seen_tsc[kSlots]{};
  // Addresses the guest asked for (ARP requests for another address than its own): its
  // gateway's stays, as the guest keeps asking for it.
  RecentAddresses<8> asked;
  // Addresses other stations claimed on the network (ARP senders with another MAC), kept apart
  // from the guest's so that a claim counts whichever came first. 32: a gateway's claim outlives
  // the ARP of 31 other hosts, and every ARP it sends renews it.
  RecentAddresses<32> claimed_by_others;
  std::atomic<uint64_t> max_age_tsc{0};  // 0 turns learning off; a reload may change it
  rte_spinlock_t writer_lock = RTE_SPINLOCK_INITIALIZER;

  static uint32_t ipv4_of(uint64_t key) { return static_cast<uint32_t>(key); }
  static uint16_t vlan_of(uint64_t key) { return static_cast<uint16_t>(key >> 32); }
  // Whether slot's address is announced (see the rule at the top of this file).
  bool fresh(int slot, uint64_t now_tsc) const {
    const uint64_t held = key[slot].load(std::memory_order_relaxed);
    const uint64_t max_age = max_age_tsc.load(std::memory_order_relaxed);
    return held != 0 && now_tsc - last_seen_tsc[slot].load(std::memory_order_relaxed) <= max_age &&
           !asked.holds(held, now_tsc, max_age) && !claimed_by_others.holds(held, now_tsc, max_age);
  }
};

// One learned address as `status` shows it.
struct GuestAddressReport {
  std::string address;  // dotted quad
  uint16_t vlan = 0;    // 0: untagged
  uint64_t last_seen_ms_ago = 0;
  bool announced = false;  // the next round carries its GARP (the rule at the top of this file)
};

// The table's addresses, newest first, aged against now_tsc.
std::vector<GuestAddressReport> report_guest_addresses(const GuestAddresses &table,
                                                       uint64_t now_tsc, uint64_t tsc_hz);

// "a.b.c.d" of an IPv4 address in network byte order.
std::string format_ipv4(uint32_t ipv4_network_order);

// Records the sender of an ARP frame (untagged or in one 802.1Q tag) if it is the guest itself,
// and the address it asks for if it is another.
void learn_from_frame(GuestAddresses &table, const rte_ether_addr &guest_mac,
                      const rte_mbuf *frame);

// Records the sender address of an ARP frame from the network if its sender MAC is not the guest's.
void note_network_claim(GuestAddresses &table, const rte_ether_addr &guest_mac,
                        const rte_mbuf *frame);

// Whether an EtherType may carry ARP, directly or in an 802.1Q tag: the one check per frame.
static inline bool may_carry_arp(const rte_mbuf *frame) {
  const uint16_t type = rte_pktmbuf_mtod(frame, const rte_ether_hdr *)->ether_type;
  return type == RTE_BE16(RTE_ETHER_TYPE_ARP) || type == RTE_BE16(RTE_ETHER_TYPE_VLAN);
}

// Workers only, on each burst the guest sent, before the burst is handed to a driver. Costs one
// load of the EtherType per frame, from data the vhost dequeue has just written.
static inline void learn_guest_addresses(GuestAddresses &table, const rte_ether_addr &guest_mac,
                                         rte_mbuf *const *pkts, uint16_t n) {
  if (table.max_age_tsc.load(std::memory_order_relaxed) == 0) return;
  for (uint16_t i = 0; i < n; i++)
    if (unlikely(may_carry_arp(pkts[i]))) learn_from_frame(table, guest_mac, pkts[i]);
}

// Workers only, on each burst an uplink received, the same cost: other stations' ARP frames.
static inline void note_network_claims(GuestAddresses &table, const rte_ether_addr &guest_mac,
                                       rte_mbuf *const *pkts, uint16_t n) {
  if (table.max_age_tsc.load(std::memory_order_relaxed) == 0) return;
  for (uint16_t i = 0; i < n; i++)
    if (unlikely(may_carry_arp(pkts[i]))) note_network_claim(table, guest_mac, pkts[i]);
}

}  // namespace vhost_failover
