#include "control/tx_progress.h"

#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <mutex>
#include <string>

#include "control/link_state.h"
#include "hot/group.h"

namespace vhost_failover {

uint64_t tx_handed_to_primary(const Group &group) {
  uint64_t handed = 0;
  for (const Counters &lcore : group.hot.counters.slot)
    for (const uint64_t *counter :
         {&lcore.tx_packets[kPrimary], &lcore.announcements_sent[kPrimary],
          &lcore.garps_sent[kPrimary]})
      handed += __atomic_load_n(counter, __ATOMIC_RELAXED);
  return handed;
}

// The driver's count of frames sent (a register read on a VF), under the port's lock; false when
// the port is gone, busy in another driver call, keeps no count, or is a tap.
static bool read_opackets(Uplink &primary, uint32_t *generation, uint64_t *opackets) {
  // A tap takes or refuses each frame in its write: nothing waits in a ring to be sent.
  if (primary.kind == UplinkKind::kTap || !primary.calls.try_lock()) return false;
  bool taken = false;
  if (primary.present.load(std::memory_order_acquire)) {
    *generation = primary.generation.load();
    rte_eth_stats stats{};
    taken = rte_eth_stats_get(primary.port_id, &stats) == 0;
    *opackets = stats.opackets;
  }
  primary.calls.unlock();
  return taken;
}

bool tx_progress_check(Group &group, uint64_t now_ns) {
  TxProgress &progress = group.control.primary_tx_progress;
  if (now_ns < progress.next_check_ns) return progress.busy;
  progress.next_check_ns = now_ns + kTxProgressCheckMs * kNsPerMs;
  if (!group.hot.primary_eligible.load(std::memory_order_acquire)) {
    progress.unsent_since_ns = 0;
    return progress.busy = false;
  }
  // Read before opackets: every frame counted here is then either in opackets or still waiting.
  const uint64_t handed = tx_handed_to_primary(group);
  progress.busy = handed != progress.handed_at_check || progress.unsent_since_ns != 0;
  progress.handed_at_check = handed;
  uint32_t generation = 0;
  uint64_t opackets = 0;
  if (!read_opackets(group.uplink(kPrimary), &generation, &opackets)) return progress.busy;
  const uint64_t unsent = handed - progress.handed;
  const uint64_t waited_ms = tx_progress_stalled_ms(progress, generation, opackets, handed, now_ns);
  if (waited_ms == 0) return progress.busy;
  link_primary_fault(group, SwitchCause::kTxStalled,
                     "primary tx stalled: " + std::to_string(unsent) +
                         " frames handed to it and its opackets unmoved for " +
                         std::to_string(waited_ms) + " ms, with its link up");
  return progress.busy;
}

// The driver's opackets, waiting for the port's lock (the monitor holds it for a register read).
static bool read_opackets_waiting(Uplink &primary, uint64_t *opackets) {
  std::lock_guard<PortCallLock> lock(primary.calls);
  rte_eth_stats stats{};
  if (primary.port_id == UINT16_MAX || rte_eth_stats_get(primary.port_id, &stats) != 0)
    return false;
  *opackets = stats.opackets;
  return true;
}

void tx_ring_baseline(Group &group) {
  TxRingBaseline &baseline = group.node.primary_tx_ring;
  baseline.handed = tx_handed_to_primary(group);
  if (!read_opackets_waiting(group.uplink(kPrimary), &baseline.opackets)) baseline.opackets = 0;
}

void tx_ring_count_lost(Group &group) {
  TxRingBaseline &baseline = group.node.primary_tx_ring;
  const uint64_t handed = tx_handed_to_primary(group);
  uint64_t opackets = 0;
  if (!read_opackets_waiting(group.uplink(kPrimary), &opackets)) return;
  const uint64_t sent = opackets - baseline.opackets;
  const uint64_t handed_since = handed - baseline.handed;
  if (opackets > baseline.opackets && handed_since > sent) {
    // The Node thread's slot: no worker runs on the main lcore.
    Counters &slot = group.hot.counters.slot[rte_get_main_lcore()];
    count(slot.tx_lost_in_ring, handed_since - sent);
  }
  baseline = {handed, opackets};
}

}  // namespace vhost_failover
