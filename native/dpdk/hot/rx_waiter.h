// Lets an idle worker sleep until a frame can be there, instead of waking thousands of times a
// second to look: its guests' kick eventfds (the guest's transmit rings, from lib/vhost's
// rte_vhost_get_vhost_vring), its uplinks' rx interrupts (frames queued on a tap's fd: an own tap
// uplink's, or net_tap's) and a control eventfd, in one epoll set of its own. Only where every
// uplink of the worker can interrupt: one that cannot (net_null, a VF without per-queue vectors)
// leaves the worker on its timed back-off.
//
// A guest kicks only while asked to (rte_vhost_enable_guest_notification: it kicks on every
// transmit then, at a VM exit's cost), so the worker arms, polls once more (a frame queued before
// the arm raised nothing), sleeps, and disarms on waking, as net_vhost's rx interrupt did.
// Worker thread only, except wakeup().
#pragma once

#include <cstdint>
#include <vector>

#include "hot/poll_list.h"
#include "hot/wakeup.h"

namespace vhost_failover {

class RxWaiter {
 public:
  ~RxWaiter();
  const Wakeup &wakeup() const { return wakeup_; }

  // Whether every port of `list` can wake the worker; rebuilds the epoll set when the list
  // (`version`: how many lists were published) or a port changed since the last call.
  bool ready_for(const GroupList *list, uint64_t version);
  // False, with nothing armed, while a guest's memory is being migrated: then the worker must
  // not sleep on interrupts (it uses the timed back-off).
  bool arm();
  void disarm();
  // Sleeps until an interrupt, a wake-up or timeout_ms. False if it timed out (or failed).
  bool wait(int timeout_ms);

 private:
  uint64_t signature_of(const GroupList *list) const;
  void rebuild(const GroupList *list);

  Wakeup wakeup_;
  int epoll_fd_ = -1;
  uint64_t version_ = UINT64_MAX;
  uint64_t signature_ = 0;
  bool can_wait_ = false;
  // A guest's transmit ring the worker may sleep on: its kicks are armed, and disarmed, there.
  struct GuestRing {
    const Group *group;
    uint16_t vring;
    int vid;  // of the guest connected when the ring was armed
  };
  std::vector<GuestRing> guest_rings_;  // of the polled queues: whose kicks must be armed
  std::vector<GuestRing> armed_;        // the ones armed now
};

}  // namespace vhost_failover
