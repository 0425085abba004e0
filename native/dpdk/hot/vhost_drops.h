// Guest frames lib/vhost frees without handing them over, which DPDK 22.11 counts nowhere: with
// linear buffers (src/dataplane/devargs.ts) a frame longer than one mbuf, and a frame whose
// descriptors it cannot read, are taken off the guest's ring (its consumed index moves past
// them) and freed inside rte_vhost_dequeue_burst. So the worker polling a queue keeps the index it
// expects (its last reading plus the frames received since) and, after a burst shorter than full,
// reads the ring's: the difference was dropped. A full burst dropped nothing (lib/vhost ends a
// burst at the frame it drops), so a loaded queue reads it seldom. Split rings only, QEMU's
// default: a packed ring's index wraps at the ring's size, with a wrap bit, and is not counted.
#pragma once

#include <rte_vhost.h>

#include <atomic>
#include <cstdint>

#include "hot/counters.h"

namespace vhost_failover {

// The guest connected now, set by the vhost port's link events (link_monitor.cc): its vid and a
// number that changes with every connection, in one word so that a reader never pairs one
// connection's vid with another's number (a vid may be reused). kNone: no guest, or a packed ring.
struct GuestSession {
  static constexpr uint64_t kNone = 0;
  std::atomic<uint64_t> current{kNone};
  uint32_t connections = 0;  // the link event's thread only

  void connected(int vid) {
    current.store(uint64_t{++connections} << 32 | static_cast<uint32_t>(vid));
  }
  void disconnected() { current.store(kNone); }
};

// One queue's reading, owned by the worker polling it.
struct VringReading {
  uint64_t session = GuestSession::kNone;
  uint16_t expected_avail = 0;
};

static inline void count_dropped_in_vhost(const GuestSession &guest, VringReading &mine,
                                          uint16_t queue, uint16_t received, uint16_t burst,
                                          Counters &counters) {
  mine.expected_avail += received;
  if (received == burst) return;
  const uint64_t session = guest.current.load(std::memory_order_acquire);
  uint16_t avail, used;
  // The guest's transmit ring of queue pair q is vring 2q + 1 (net_vhost's rx queue q).
  if (session == GuestSession::kNone ||
      rte_vhost_get_vring_base(static_cast<int>(static_cast<uint32_t>(session)), queue * 2 + 1,
                               &avail, &used) != 0) {
    mine.session = GuestSession::kNone;
    return;
  }
  if (mine.session == session)
    count(counters.tx_dropped_in_vhost, static_cast<uint16_t>(avail - mine.expected_avail));
  mine.session = session;
  mine.expected_avail = avail;
}

}  // namespace vhost_failover
