#include "hot/rx_waiter.h"

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

// Changes when a port of the list comes, goes or is replaced, or a guest's vrings change (a kick
// eventfd may be new): then the set is rebuilt. A port closed meanwhile drops out of the epoll
// set by itself (its fd is closed).
uint64_t RxWaiter::signature_of(const GroupList *list) const {
  uint64_t signature = list->units.size();
  for (const PollUnit &unit : list->units) {
    const Group *group = unit.group;
    signature = signature * 31 + unit.queue;
    signature = signature * 31 + group->hot.started.load(std::memory_order_relaxed);
    signature = signature * 31 + group->hot.guest_vrings_changed.load(std::memory_order_acquire);
    for (const Uplink &uplink : group->hot.uplinks)
      signature = signature * 31 + (uplink.present.load(std::memory_order_acquire)
                                        ? uplink.generation.load(std::memory_order_relaxed) + 1
                                        : 0);
  }
  return signature;
}

static bool watch(int epoll_fd, int fd, uint32_t events) {
  epoll_event event = {};
  event.events = events;
  event.data.u32 = 0;
  return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) == 0 || errno == EEXIST;
}

// The guest's transmit ring of queue pair q (vring 2q + 1): its kick eventfd, which KVM writes
// and nobody reads, so it signals by edges (as net_vhost's rx interrupt registered it). A ring
// the guest has not set up (a queue pair it does not use) has none and needs none: enabling it
// changes the vrings, and the set is rebuilt.
static bool watch_guest_ring(int epoll_fd, const Group &group, uint16_t vring) {
  const uint64_t guest = group.hot.guest.load();
  rte_vhost_vring ring;
  if (guest == GuestSession::kNone ||
      rte_vhost_get_vhost_vring(GuestSession::vid(guest), vring, &ring) != 0 || ring.kickfd < 0)
    return true;
  return watch(epoll_fd, ring.kickfd, EPOLLIN | EPOLLET);
}

// An uplink's queue by its level: an own tap's fd is readable while a frame waits (see below for
// net_tap's).
static bool watch_uplink(int epoll_fd, const Uplink &uplink, uint16_t queue) {
  const int fd = uplink.kind == UplinkKind::kTap
                     ? uplink.tap_queues[queue].fd
                     : rte_eth_dev_rx_intr_ctl_q_get_fd(uplink.port_id, queue);
  return watch(epoll_fd, fd, EPOLLIN);
}

void RxWaiter::rebuild(const GroupList *list) {
  if (epoll_fd_ >= 0) close(epoll_fd_);
  guest_rings_.clear();
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
    if (!group->hot.started.load()) continue;
    const uint16_t vring = unit.queue * 2 + 1;  // the guest's transmit ring
    can_wait_ = watch_guest_ring(epoll_fd_, *group, vring);
    guest_rings_.push_back({group, vring, -1});
    // A net_tap's fd by its level, not by edges: net_tap reads its fd only after its SIGIO handler
    // has run (pmd_rx_burst returns nothing while `trigger == trigger_seen`), and that signal may
    // be handled late on another thread. By edges, a worker woken before the handler ran would
    // find nothing, sleep again, and leave the frame for the 100 ms timeout (measured: one ping
    // in twenty). By level it looks again until the frame is read; the price is a busy worker
    // while frames wait that net_tap cannot read (no mbufs), which is rare and short.
    for (const Uplink &uplink : group->hot.uplinks)
      if (can_wait_ && uplink.present.load(std::memory_order_acquire))
        can_wait_ = watch_uplink(epoll_fd_, uplink, unit.queue);
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
static bool guest_memory_logged(int vid) {
  uint64_t features = 0;
  return rte_vhost_get_negotiated_features(vid, &features) == 0 && (features & kLogAll) != 0;
}

// Only a connected guest's rings: with none there is nothing to flag (the guest's arrival wakes
// the worker, see vhost_user.cc). Nothing at all while one of them migrates. These calls use the
// guest's device, which a guest leaving frees: they are part of the worker's pass, which
// destroy_device waits out (vhost_user.cc), and the vid armed is the one disarmed.
bool RxWaiter::arm() {
  for (GuestRing &ring : guest_rings_) {
    const uint64_t guest = ring.group->hot.guest.load();
    const bool sends =
        guest != GuestSession::kNone && ring.group->hot.guest_sends_on(ring.vring / 2);
    ring.vid = sends ? GuestSession::vid(guest) : -1;
    if (ring.vid >= 0 && guest_memory_logged(ring.vid)) return false;
  }
  for (const GuestRing &ring : guest_rings_)
    if (ring.vid >= 0 && rte_vhost_enable_guest_notification(ring.vid, ring.vring, 1) == 0)
      armed_.push_back(ring);
  return true;
}

void RxWaiter::disarm() {
  for (const GuestRing &ring : armed_) rte_vhost_enable_guest_notification(ring.vid, ring.vring, 0);
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
