#include "hot/announce.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "hot/announce_frames.h"
#include "hot/uplink_io.h"

namespace vhost_failover {

// One round's frames: the RARP first, then a GARP per address the guest used recently.
// Returns how many were built into frames[].
static uint16_t build_round(Group &group, rte_mbuf **frames) {
  const GuestAddresses &addresses = group.hot.guest_addresses;
  const uint64_t now = rte_rdtsc();
  uint16_t built = 0;
  for (int slot = -1; slot < GuestAddresses::kSlots; slot++) {
    if (slot >= 0 && !addresses.fresh(slot, now)) continue;
    rte_mbuf *mbuf = rte_pktmbuf_alloc(group.hot.pool);
    if (!mbuf) break;
    const uint64_t key = slot >= 0 ? addresses.key[slot].load(std::memory_order_relaxed) : 0;
    const bool ok = slot < 0 ? build_rarp(mbuf, group.hot.guest_mac)
                             : build_garp(mbuf, group.hot.guest_mac, GuestAddresses::ipv4_of(key),
                                          GuestAddresses::vlan_of(key));
    if (!ok) {
      rte_pktmbuf_free(mbuf);
      break;
    }
    frames[built++] = mbuf;
  }
  return built;
}

static void send_round(Group &group, Counters &counters) {
  const Path path = group.hot.transmit_path();
  if (path == kNoPath) return;
  rte_mbuf *frames[1 + GuestAddresses::kSlots];
  const uint16_t built = build_round(group, frames);
  if (built == 0) return;
  const uint16_t sent = uplink_tx_burst(group.uplink(path), 0, frames, built);
  // frames[0] is the RARP; the rest are GARPs.
  if (sent > 0) count(counters.announcements_sent[path], 1);
  if (sent > 1) count(counters.garps_sent[path], sent - 1);
  if (sent < built) rte_pktmbuf_free_bulk(frames + sent, built - sent);
}

void send_requested_announcement(Group &group, Counters &counters) {
  const uint32_t requested = group.hot.announce_requested.load(std::memory_order_acquire);
  if (requested == group.hot.announce_answered.load(std::memory_order_relaxed)) return;
  send_round(group, counters);
  // Answered only once the frames are counted: whoever sees the round answered (a test reading
  // the counters, then the bridge's) sees them counted too.
  group.hot.announce_answered.store(requested, std::memory_order_release);
}

}  // namespace vhost_failover
