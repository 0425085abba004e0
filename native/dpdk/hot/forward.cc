// Guest -> network: dequeue from the guest's transmit ring of queue pair q, send on queue q of the
// path transmit_path() picks for the burst. Network -> guest: receive from queue q of each
// uplink, copy into the guest's receive ring (queue q, or the enabled queue standing in for it).
// Every mbuf taken here is either handed to a driver or freed before the function returns. A
// group's queues share one failover decision (the group's atomics, read per burst), so a switch
// moves every queue at once. The guest is lib/vhost's device, by its vid (guest_session.h).
#include "hot/forward.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "control/capture.h"
#include "control/uplink_device.h"
#include "hot/announce.h"
#include "hot/guest_checksum.h"
#include "hot/uplink_io.h"

namespace vhost_failover {

static uint64_t bytes_of(rte_mbuf *const *pkts, uint16_t n) {
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; i++) bytes += rte_pktmbuf_pkt_len(pkts[i]);
  return bytes;
}

// Sends what the uplink takes; returns how many, and the bytes they held. The rest stay ours.
static uint16_t send(Uplink &uplink, uint16_t queue, rte_mbuf **pkts, uint16_t n, uint64_t *bytes) {
  const uint64_t offered = bytes_of(pkts, n);  // before sending: sent mbufs belong to the driver
  const uint16_t sent = uplink_tx_burst(uplink, queue, pkts, n);
  *bytes = sent == n ? offered : offered - bytes_of(pkts + sent, n - sent);
  return sent;
}

// The failover gap, as a lab measures it: from the last frame sent on the old path to the first
// on the new one, as this queue saw it. One TSC read per burst sent.
static void note_sent_on(Group &group, GroupHot::QueueOwned &mine, Path path) {
  const uint64_t now = rte_rdtsc();
  if (path != mine.last_tx_path) {
    if (mine.last_tx_path != kNoPath) {
      group.hot.last_switch_gap_tsc.store(now - mine.last_tx_tsc, std::memory_order_relaxed);
      group.hot.switch_gaps_measured.fetch_add(1, std::memory_order_release);
      group.hot.link_wakeup->notify();  // once per switch: the monitor reports the gap
    }
    mine.last_tx_path = path;
  }
  mine.last_tx_tsc = now;
}

// Sends on one path and counts what it took; returns how many (the rest are still ours).
static uint16_t transmit(Group &group, uint16_t q, Path path, rte_mbuf **pkts, uint16_t n,
                         Counters &counters) {
  uint64_t bytes;
  const uint16_t sent = send(group.uplink(path), q, pkts, n, &bytes);
  count(counters.tx_packets[path], sent);
  count(counters.tx_bytes[path], bytes);
  if (sent > 0) {
    note_sent_on(group, group.hot.queue_owned[q], path);
    group.hot.queue_owned[q].primary_refused_since_tsc = 0;  // the uplinks take frames
  }
  return sent;
}

// A primary that refuses a burst may have just lost its link (a tap whose kernel side went down
// fails every write). Asking the link at once fails over before the monitor's next poll and
// loses none of the burst. Refusals with the link up (a full ring, or a link whose loss the
// driver does not show yet) are re-checked every 50 us: little cost under backpressure.
static bool primary_just_died(Group &group, GroupHot::QueueOwned &mine) {
  const uint64_t now = rte_rdtsc();
  if (now < mine.primary_link_check_after_tsc) return false;
  // Another thread may be in a driver call on the port. Most often that is the monitor, woken by
  // the same loss (a tap's netlink event) and reading this very link: wait for it a little (its
  // read takes microseconds, but it shares a CPU with others and may be preempted) or for its
  // verdict, rather than drop the rest of the burst. A slow holder (a VF's filter being
  // programmed) is not waited for past 200 us. Only a refused burst on a busy port pays this.
  Uplink &primary = group.uplink(kPrimary);
  const uint64_t give_up = now + rte_get_tsc_hz() / 5000;
  while (!primary.calls.try_lock()) {
    if (!group.hot.primary_eligible.load(std::memory_order_acquire)) return true;  // found dead
    if (rte_rdtsc() > give_up) {
      // A slow holder: under backpressure, do not pay this wait again for a millisecond.
      mine.primary_link_check_after_tsc = rte_rdtsc() + rte_get_tsc_hz() / 1000;
      return false;
    }
    rte_pause();
  }
  mine.primary_link_check_after_tsc = now + rte_get_tsc_hz() / 20000;
  const bool up = uplink_link_up(primary);
  primary.calls.unlock();
  if (up) return false;
  group.hot.primary_eligible.store(false, std::memory_order_release);
  group.hot.primary_losses_seen_by_worker.fetch_add(1, std::memory_order_relaxed);
  group.hot.primary_loss_seen_by_worker.store(true, std::memory_order_release);
  group.hot.link_wakeup->notify();
  return true;
}

// A primary that refuses every frame while its link reads up (tx_progress.h: a VF whose ring a
// PF reset left full) is out of service once it has done so for kTxStallMs, in this period of
// service. Runs only on a burst the primary refused entirely: a clock read, no driver call.
static bool primary_tx_stalled(Group &group, GroupHot::QueueOwned &mine) {
  const uint64_t now = rte_rdtsc();
  const uint32_t epoch = group.hot.primary_service_epoch.load(std::memory_order_relaxed);
  if (mine.primary_refused_since_tsc == 0 || mine.primary_refused_epoch != epoch) {
    mine.primary_refused_since_tsc = now;
    mine.primary_refused_epoch = epoch;
    return false;
  }
  if (now - mine.primary_refused_since_tsc < group.hot.tx_stall_tsc) return false;
  mine.primary_refused_since_tsc = 0;
  group.hot.primary_eligible.store(false, std::memory_order_release);
  group.hot.primary_tx_stall_seen.store(true, std::memory_order_release);
  group.hot.link_wakeup->notify();
  return true;
}

// The primary refused some of a burst: has it failed (its link is down, or it stalled)?
static bool primary_failed(Group &group, GroupHot::QueueOwned &mine, uint16_t sent) {
  return primary_just_died(group, mine) || (sent == 0 && primary_tx_stalled(group, mine));
}

// lib/vhost's vrings of queue pair q: the guest's receive ring, and its transmit ring.
static uint16_t guest_rx_vring(uint16_t q) {
  return q * 2;
}
static uint16_t guest_tx_vring(uint16_t q) {
  return q * 2 + 1;
}

static unsigned guest_to_network(Group &group, uint64_t guest, uint16_t q, Counters &counters) {
  rte_mbuf *pkts[kBurst];
  const uint16_t received = rte_vhost_dequeue_burst(GuestSession::vid(guest), guest_tx_vring(q),
                                                    group.hot.guest_pool, pkts, kBurst);
  count_dropped_in_vhost(guest, group.hot.queue_owned[q].guest_tx_ring, q, received, kBurst,
                         counters);
  if (received == 0) return 0;
  complete_guest_checksums(pkts, received);
  mirror_to_capture(group.hot.capture, pkts, received);
  count(counters.guest_dequeued, received);
  const uint16_t n = drop_forbidden_frames(group.hot.frame_rules, pkts, received, counters);
  learn_guest_addresses(group.hot.guest_addresses, group.hot.guest_mac, pkts, n);
  Path path = group.hot.transmit_path();
  uint16_t sent = path == kNoPath ? 0 : transmit(group, q, path, pkts, n, counters);
  if (sent < n && path == kPrimary && primary_failed(group, group.hot.queue_owned[q], sent)) {
    path = group.hot.transmit_path();
    if (path != kNoPath) sent += transmit(group, q, path, pkts + sent, n - sent, counters);
  }
  if (sent == n) return received;
  rte_pktmbuf_free_bulk(pkts + sent, n - sent);
  count(path == kNoPath ? counters.tx_dropped_no_path : counters.tx_dropped_full[path], n - sent);
  return received;
}

// Copies into the guest's queue for unit q, locked only where another worker's unit may share
// it; returns how many it took, the first ones. The mbufs stay ours, sent or not.
static uint16_t send_to_guest(Group &group, uint64_t guest, uint16_t q, rte_mbuf **pkts,
                              uint16_t n) {
  const uint16_t queue = group.hot.guest_rx_queue_for(q);
  if (guest == GuestSession::kNone || queue == GroupHot::kNoGuestQueue) return 0;
  const int vid = GuestSession::vid(guest);
  const uint16_t vring = guest_rx_vring(queue);
  if (!group.hot.vhost_tx_shared) return rte_vhost_enqueue_burst(vid, vring, pkts, n);
  rte_spinlock_t &lock = group.hot.vhost_tx_locks[queue].lock;
  rte_spinlock_lock(&lock);
  const uint16_t sent = rte_vhost_enqueue_burst(vid, vring, pkts, n);
  rte_spinlock_unlock(&lock);
  return sent;
}

// A VF's PF may strip the tag of a VLAN it filters for the VF (Linux's igb turns stripping on
// with the VF's first VLAN): the guest asked for the tagged frame, so the tag the descriptor
// kept goes back in. Returns how many frames are left: one without room for its tag (rx mbufs
// have headroom: not seen) is freed and counted as `dropped`.
static uint16_t restore_stripped_tags(rte_mbuf **pkts, uint16_t n, uint64_t &dropped) {
  uint16_t kept = 0;
  for (uint16_t i = 0; i < n; i++) {
    if (!(pkts[i]->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) || rte_vlan_insert(&pkts[i]) == 0) {
      pkts[kept++] = pkts[i];
      continue;
    }
    rte_pktmbuf_free(pkts[i]);
    count(dropped, 1);
  }
  return kept;
}

static unsigned network_to_guest(Group &group, uint64_t guest, uint16_t q, Path path,
                                 Counters &counters) {
  rte_mbuf *pkts[kBurst];
  const uint16_t received = uplink_rx_burst(group.uplink(path), q, group.hot.pool, pkts, kBurst);
  if (received == 0) return 0;
  mirror_to_capture(group.hot.capture, pkts, received);
  note_network_claims(group.hot.guest_addresses, group.hot.guest_mac, pkts, received);
  if (!group.hot.delivers_from(path)) {
    rte_pktmbuf_free_bulk(pkts, received);
    count(counters.rx_dropped_inactive[path], received);
    return received;
  }
  const uint16_t n = restore_stripped_tags(pkts, received, counters.rx_dropped_guest[path]);
  const uint16_t sent = send_to_guest(group, guest, q, pkts, n);
  count(counters.rx_packets[path], sent);
  count(counters.rx_bytes[path], bytes_of(pkts, sent));
  if (sent < n) count(counters.rx_dropped_guest[path], n - sent);
  rte_pktmbuf_free_bulk(pkts, n);  // lib/vhost copied what it took
  return received;
}

unsigned poll_group(Group &group, uint16_t q, unsigned lcore_id) {
  // Cleared only while the group is being taken down: then none of its ports is touched.
  if (!group.hot.started.load(std::memory_order_relaxed)) return 0;
  Counters &counters = group.hot.counters.slot[lcore_id];
  if (q == 0) send_requested_announcement(group, counters);  // on the uplinks' queue 0
  // Once per pass: the pass uses this guest throughout, and destroy_device waits the pass out.
  const uint64_t guest = group.hot.guest.load();
  unsigned moved = guest != GuestSession::kNone && group.hot.guest_sends_on(q)
                       ? guest_to_network(group, guest, q, counters)
                       : 0;
  for (Path path : {kPrimary, kStandby})
    if (group.uplink(path).present.load(std::memory_order_acquire))
      moved += network_to_guest(group, guest, q, path, counters);
  return moved;
}

}  // namespace vhost_failover
