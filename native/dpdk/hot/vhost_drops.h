// Guest frames lib/vhost frees without handing them over, which DPDK 22.11 counts nowhere (its
// per-vring statistics count only what it hands over): with linear buffers (vhost_user.cc) a
// frame longer than one mbuf, and a frame whose descriptors it cannot read, are taken off the
// guest's ring (its consumed index moves past them) and freed inside rte_vhost_dequeue_burst. So
// the worker polling a queue keeps the index it expects (its last reading plus the frames
// received since) and, after a burst shorter than full, reads the ring's: the difference was
// dropped. A full burst dropped nothing (lib/vhost ends a burst at the frame it drops), so a
// loaded queue reads it seldom. After a live migration lib/vhost hands over, once, a RARP of its
// own making (QEMU's SEND_RARP, for a guest that does not announce itself) that no descriptor
// held: the index then runs one behind the count, which is not a drop (the reading resyncs; a
// drop in that very burst goes uncounted). Split rings only, QEMU's default: a packed ring's
// index wraps at the ring's size, with a wrap bit, and is not counted.
#pragma once

#include <rte_vhost.h>

#include <cstdint>

#include "hot/counters.h"
#include "hot/guest_session.h"

namespace vhost_failover {

// One queue's reading, owned by the worker polling it.
struct VringReading {
  uint64_t session = GuestSession::kNone;
  uint16_t expected_avail = 0;
};

// `session` is the guest the burst was dequeued from (never kNone).
static inline void count_dropped_in_vhost(uint64_t session, VringReading &mine, uint16_t queue,
                                          uint16_t received, uint16_t burst, Counters &counters) {
  mine.expected_avail += received;
  if (received == burst) return;
  uint16_t avail, used;
  // The guest's transmit ring of queue pair q is vring 2q + 1.
  if (GuestSession::packed(session) ||
      rte_vhost_get_vring_base(GuestSession::vid(session), queue * 2 + 1, &avail, &used) != 0) {
    mine.session = GuestSession::kNone;
    return;
  }
  const auto dropped = static_cast<int16_t>(avail - mine.expected_avail);
  if (mine.session == session && dropped > 0) count(counters.tx_dropped_in_vhost, dropped);
  mine.session = session;
  mine.expected_avail = avail;
}

}  // namespace vhost_failover
