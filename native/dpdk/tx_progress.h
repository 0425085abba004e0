// Whether the primary transmits. A link that reads up proves nothing: an SR-IOV VF whose PF is
// down, or whose queues a PF reset disabled, reads up while it sends nothing. Two signs, each
// bounded by kTxStallMs, take the primary out of service until it is reset or re-probed:
// - the worker sees the primary refuse every frame it is offered for that long (its ring full
//   and never emptied: forward.cc);
// - the monitor sees frames handed to the primary while its driver's opackets does not move for
//   that long (a ring still filling at a low rate: tx_progress_check below).
#pragma once

#include <cstdint>

namespace vhost_failover {

struct Group;

constexpr unsigned kTxStallMs = 100;
// How often the monitor compares the frames handed to the primary with its opackets: a stall
// the worker does not see is found within kTxStallMs + kTxProgressCheckMs.
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
};

// Monitor thread, at most every kTxProgressCheckMs while the primary is eligible: takes it out
// of service when frames handed to it have waited unsent for kTxStallMs.
void tx_progress_check(Group &group, uint64_t now_ns);

}  // namespace vhost_failover
