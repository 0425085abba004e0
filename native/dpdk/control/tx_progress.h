// Whether the primary transmits. A link that reads up proves nothing: an SR-IOV VF whose PF is
// down, or whose queues a PF reset disabled, reads up while it sends nothing. Two signs, each
// bounded by kTxStallMs, take the primary out of service until it is reset or re-probed:
// - the worker sees the primary refuse every frame it is offered for that long (its ring full
//   and never emptied: forward.cc);
// - the monitor sees frames handed to the primary while its driver's opackets does not move for
//   that long (a ring still filling at a low rate: tx_progress_check below).
// The frames handed include the announcement round every failback sends (a RARP at least): a
// primary put back in service while the guest is idle (a VF whose queues a function reset cleared,
// which reads up again) is shown to transmit, or taken out, within the same bound.
#pragma once

#include <cstdint>

namespace vhost_failover {

struct Group;

constexpr unsigned kTxStallMs = 100;
constexpr uint64_t kNsPerMs = 1000000;
// How often the monitor compares the frames handed to the primary with its opackets while it
// carries traffic: a stall the worker does not see is found within kTxStallMs +
// kTxProgressCheckMs of traffic (after an idle spell, the first check may come up to the
// monitor's ordinary sleep, a second, later).
constexpr unsigned kTxProgressCheckMs = 20;

// The monitor's readings of one group's primary.
struct TxProgress {
  uint32_t generation = 0;  // of the primary port the readings are of
  // Its opackets has moved once: the driver counts what it sends (one that counts nothing is
  // judged by the worker's refusals only).
  bool wire_counted = false;
  uint64_t opackets = 0;         // at the last reading that saw it move
  uint64_t handed = 0;           // frames the workers had handed the port by then
  uint64_t unsent_since_ns = 0;  // first reading with more handed and opackets still; 0: none
  uint64_t next_check_ns = 0;
  uint64_t handed_at_check = 0;  // at the last check
  // Frames were handed to the primary between the last two checks, or still wait: the monitor
  // checks again within kTxProgressCheckMs. An idle primary costs no wake-up.
  bool busy = false;
};

// The rule, for one reading of an eligible primary: the port it was read from, its opackets, the
// frames handed to it. Returns how long frames handed to it have waited unsent, in ms, once that
// reaches kTxStallMs (a stall: the clock starts over); else 0.
inline uint64_t tx_progress_stalled_ms(TxProgress &progress, uint32_t generation, uint64_t opackets,
                                       uint64_t handed, uint64_t now_ns) {
  if (generation != progress.generation || opackets != progress.opackets) {
    progress.wire_counted = generation == progress.generation;  // moved on this port
    progress.generation = generation;
    progress.opackets = opackets;
    progress.handed = handed;
    progress.unsent_since_ns = 0;
    return 0;
  }
  if (handed == progress.handed || !progress.wire_counted) return 0;  // nothing waits, or no count
  if (progress.unsent_since_ns == 0) {
    progress.unsent_since_ns = now_ns;
    return 0;
  }
  const uint64_t waited_ms = (now_ns - progress.unsent_since_ns) / kNsPerMs;
  if (waited_ms < kTxStallMs) return 0;
  progress.unsent_since_ns = 0;
  return waited_ms;
}

// Monitor thread, at most every kTxProgressCheckMs while the primary is eligible: takes it out
// of service when frames handed to it have waited unsent for kTxStallMs. True while the primary
// is busy (TxProgress::busy): the monitor is to look again within kTxProgressCheckMs.
bool tx_progress_check(Group &group, uint64_t now_ns);

// Frames handed to the primary's driver (the guest's, RARPs and GARPs), summed over the workers.
uint64_t tx_handed_to_primary(const Group &group);

// The primary's port when it started, for what its ring held when it was taken away: frames
// handed to it then, and its driver's opackets then (Node thread).
struct TxRingBaseline {
  uint64_t handed = 0;
  uint64_t opackets = 0;
};

// Node thread, once the primary's port has started (attach, probe, reset).
void tx_ring_baseline(Group &group);

// Node thread, with no worker sending on the primary, before its port is reset or closed: the
// frames handed to it since it started beyond what its driver counts as sent never reached the
// wire (they were in its ring, which the fault or the close takes away); counted in
// tx_lost_in_ring. A driver whose opackets never moved since the start is taken to count nothing.
void tx_ring_count_lost(Group &group);

}  // namespace vhost_failover
