#include "control/tx_progress.h"

#include <rte_ethdev.h>

#include <string>

#include "control/link_state.h"
#include "hot/group.h"

namespace vhost_failover {

static uint64_t handed_to_primary(const Group &group) {
  uint64_t handed = 0;
  for (const Counters &lcore : group.hot.counters.slot)
    handed += __atomic_load_n(&lcore.tx_packets[kPrimary], __ATOMIC_RELAXED);
  return handed;
}

// The driver's count of frames sent (a register read on a VF), under the port's lock; false when
// the port is gone, busy in another driver call, or keeps no count.
static bool read_opackets(Uplink &primary, uint32_t *generation, uint64_t *opackets) {
  if (!primary.calls.try_lock()) return false;
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
  const uint64_t handed = handed_to_primary(group);
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

}  // namespace vhost_failover
