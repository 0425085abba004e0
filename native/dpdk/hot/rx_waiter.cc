#include "hot/rx_waiter.h"

#include <rte_eth_vhost.h>
#include <rte_ethdev.h>
#include <rte_vhost.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include "hot/worker.h"

namespace vhost_failover {

RxWaiter::~RxWaiter() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

// Changes when a port of the list comes, goes or is replaced: then the set is rebuilt. A port
// closed meanwhile drops out of the epoll set by itself (its fd is closed).
uint64_t RxWaiter::signature_of(const GroupList *list) const {
  uint64_t signature = list->units.size();
  for (const PollUnit &unit : list->units) {
    const Group *group = unit.group;
    signature = signature * 31 + unit.queue;
    signature = signature * 31 + group->hot.vhost_port;
    signature = signature * 31 + group->hot.vhost_present.load(std::memory_order_relaxed);
    for (const Uplink &uplink : group->hot.uplinks)
      signature = signature * 31 + (uplink.present.load(std::memory_order_acquire)
                                        ? uplink.generation.load(std::memory_order_relaxed) + 1
                                        : 0);
  }
  return signature;
}

static bool watch(int epoll_fd, uint16_t port_id, uint16_t queue, uint32_t events) {
  const int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port_id, queue);
  if (fd < 0) return false;
  epoll_event event = {};
  event.events = events;
  event.data.u32 = port_id;
  return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) == 0 || errno == EEXIST;
}

void RxWaiter::rebuild(const GroupList *list) {
  if (epoll_fd_ >= 0) close(epoll_fd_);
  vhost_queues_.clear();
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  can_wait_ = epoll_fd_ >= 0 && wakeup_.fd() >= 0;
  if (!can_wait_) return;
  epoll_event control = {};
  control.events = EPOLLIN;
  control.data.u32 = UINT32_MAX;
  can_wait_ = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wakeup_.fd(), &control) == 0;
  for (const PollUnit &unit : list->units) {
    const Group *group = unit.group;
    if (!can_wait_) return;
    if (!group->hot.vhost_present.load()) continue;
    // net_vhost's fd is an epoll set holding the vring's kick eventfd, which nobody reads: it
    // signals by edges, as DPDK's own rx-interrupt wait registers it.
    can_wait_ = watch(epoll_fd_, group->hot.vhost_port, unit.queue, EPOLLIN | EPOLLET);
    vhost_queues_.push_back(unit);
    // A tap's fd by its level, not by edges: net_tap reads its fd only after its SIGIO handler
    // has run (pmd_rx_burst returns nothing while `trigger == trigger_seen`), and that signal may
    // be handled late on another thread. By edges, a worker woken before the handler ran would
    // find nothing, sleep again, and leave the frame for the 100 ms timeout (measured: one ping
    // in twenty). By level it looks again until the frame is read; the price is a busy worker
    // while frames wait that net_tap cannot read (no mbufs), which is rare and short.
    for (const Uplink &uplink : group->hot.uplinks)
      if (can_wait_ && uplink.present.load(std::memory_order_acquire))
        can_wait_ = watch(epoll_fd_, uplink.port_id, unit.queue, EPOLLIN);
  }
}

bool RxWaiter::ready_for(const GroupList *list, uint64_t version) {
  static const GroupList kNone;
  if (!list) list = &kNone;
  const uint64_t signature = signature_of(list);
  if (version != version_ || signature != signature_ || epoll_fd_ < 0) {
    rebuild(list);
    version_ = version;
    signature_ = signature;
  }
  return can_wait_;
}

// VHOST_F_LOG_ALL of <linux/vhost.h>, whose virtio_ring.h does not compile as C++.
static constexpr uint64_t kLogAll = 1ULL << 26;

// Whether QEMU is logging the guest's memory (VHOST_F_LOG_ALL: a live migration is copying it).
// Turning the guest's kicks on or off writes its ring (used->flags, or avail_event with
// EVENT_IDX), and lib/vhost does not log that write (vhost_enable_notify_split, 22.11 and
// later): the destination could get that part of the ring as it was before. So while a
// migration runs, the worker idles on its timed back-off and writes nothing unlogged. (The guest
// corruption once measured with rx interrupts, once in 40 migrations, was QEMU 7.2's lost dirty
// pages on 256 MiB guests; with the lab's guests sized off that bug none was seen in 219
// migrations: docs/lab/notes/2026-12-06-migration-guest-memory.md.)
static bool guest_memory_logged(uint16_t port_id) {
  const int vid = rte_eth_vhost_get_vid_from_port_id(port_id);
  uint64_t features = 0;
  return vid >= 0 && rte_vhost_get_negotiated_features(vid, &features) == 0 &&
         (features & kLogAll) != 0;
}

// Only a connected guest's: with none there is no vring to flag (the guest's arrival wakes the
// worker through its wakeup, see link_state.cc). Nothing at all while one of them migrates.
// These calls read the guest's vhost device, which a guest leaving frees: they are part of the
// worker's pass, which the guest's LSC callback waits out (link_monitor.cc).
bool RxWaiter::arm() {
  for (const PollUnit &unit : vhost_queues_)
    if (unit.group->hot.guest_ready.load(std::memory_order_relaxed) &&
        guest_memory_logged(unit.group->hot.vhost_port))
      return false;
  for (const PollUnit &unit : vhost_queues_)
    if (unit.group->hot.guest_ready.load(std::memory_order_relaxed) &&
        rte_eth_dev_rx_intr_enable(unit.group->hot.vhost_port, unit.queue) == 0)
      armed_.push_back(unit);
  return true;
}

void RxWaiter::disarm() {
  for (const PollUnit &unit : armed_)
    rte_eth_dev_rx_intr_disable(unit.group->hot.vhost_port, unit.queue);
  armed_.clear();
}

bool RxWaiter::wait(int timeout_ms) {
  epoll_event events[16];
  const int ready = epoll_wait(epoll_fd_, events, 16, timeout_ms);
  for (int i = 0; i < ready; i++)
    if (events[i].data.u32 == UINT32_MAX) wakeup_.drain();
  return ready > 0 || (ready < 0 && errno == EINTR);
}

}  // namespace vhost_failover
