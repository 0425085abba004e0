#include "rx_waiter.h"

#include <rte_ethdev.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include "worker.h"

namespace vhost_failover {

RxWaiter::~RxWaiter() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

// Changes when a port of the list comes, goes or is replaced: then the set is rebuilt. A port
// closed meanwhile drops out of the epoll set by itself (its fd is closed).
uint64_t RxWaiter::signature_of(const GroupList *list) const {
  uint64_t signature = list->groups.size();
  for (const Group *group : list->groups) {
    signature = signature * 31 + group->vhost_port;
    signature = signature * 31 + group->vhost_present.load(std::memory_order_relaxed);
    for (const Uplink &uplink : group->uplinks)
      signature = signature * 31 + (uplink.present.load(std::memory_order_acquire)
                                        ? uplink.generation.load(std::memory_order_relaxed) + 1
                                        : 0);
  }
  return signature;
}

static bool watch(int epoll_fd, uint16_t port_id, uint32_t events) {
  const int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port_id, 0);
  if (fd < 0) return false;
  epoll_event event = {};
  event.events = events;
  event.data.u32 = port_id;
  return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) == 0 || errno == EEXIST;
}

void RxWaiter::rebuild(const GroupList *list) {
  if (epoll_fd_ >= 0) close(epoll_fd_);
  vhost_groups_.clear();
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  can_wait_ = epoll_fd_ >= 0 && wakeup_.fd() >= 0;
  if (!can_wait_) return;
  epoll_event control = {};
  control.events = EPOLLIN;
  control.data.u32 = UINT32_MAX;
  can_wait_ = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wakeup_.fd(), &control) == 0;
  for (Group *group : list->groups) {
    if (!can_wait_) return;
    if (!group->vhost_present.load()) continue;
    // net_vhost's fd is an epoll set holding the vring's kick eventfd, which nobody reads: it
    // signals by edges, as DPDK's own rx-interrupt wait registers it.
    can_wait_ = watch(epoll_fd_, group->vhost_port, EPOLLIN | EPOLLET);
    vhost_groups_.push_back(group);
    // A tap's fd by its level, not by edges: net_tap reads its fd only after its SIGIO handler
    // has run (pmd_rx_burst returns nothing while `trigger == trigger_seen`), and that signal may
    // be handled late on another thread. By edges, a worker woken before the handler ran would
    // find nothing, sleep again, and leave the frame for the 100 ms timeout (measured: one ping
    // in twenty). By level it looks again until the frame is read; the price is a busy worker
    // while frames wait that net_tap cannot read (no mbufs), which is rare and short.
    for (const Uplink &uplink : group->uplinks)
      if (can_wait_ && uplink.present.load(std::memory_order_acquire))
        can_wait_ = watch(epoll_fd_, uplink.port_id, EPOLLIN);
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

// Only a connected guest's: with none there is no vring to flag (the guest's arrival wakes the
// worker through its wakeup, see link_state.cc).
// The call inside the flag: a guest leaving meanwhile (its LSC callback) waits for it to end.
static int with_arming_flag(Group &group, int (*call)(uint16_t, uint16_t)) {
  group.vhost_arming.store(true, std::memory_order_seq_cst);
  const int ret = call(group.vhost_port, 0);
  group.vhost_arming.store(false, std::memory_order_release);
  return ret;
}

void RxWaiter::arm() {
  for (Group *group : vhost_groups_)
    if (group->guest_ready.load(std::memory_order_relaxed) &&
        with_arming_flag(*group, rte_eth_dev_rx_intr_enable) == 0)
      armed_.push_back(group);
}

void RxWaiter::disarm() {
  for (Group *group : armed_) with_arming_flag(*group, rte_eth_dev_rx_intr_disable);
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
