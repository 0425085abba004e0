// Device events are experimental in DPDK 22.11 (and unchanged since).
#define ALLOW_EXPERIMENTAL_API
#include "control/link_monitor.h"

#include <poll.h>
#include <rte_alarm.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "control/link_state.h"
#include "control/port.h"

namespace vhost_failover {

// Every port is read this often even when nothing was heard, in case an event was lost.
static constexpr unsigned kSafetyReadUs = 1000000;

uint64_t monotonic_ns() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
}

std::string LinkMonitor::start(unsigned poll_interval_us, ForEachGroup for_each_group) {
  if (wakeup_.fd() < 0) return std::string("cannot make the link monitor's eventfd");
  std::string error = netlink_.open();
  if (!error.empty()) return error;
  poll_interval_us_ = poll_interval_us;
  for_each_group_ = std::move(for_each_group);
  stop_requested_ = false;
  int ret = control_thread_create(&thread_, "vhfo-link-mon", &LinkMonitor::run, this);
  if (ret != 0) return std::string("cannot start the link monitor thread: ") + strerror(ret);
  started_ = true;
  return "";
}

void LinkMonitor::stop() {
  if (started_) {
    stop_requested_ = true;
    wakeup_.notify();
    control_thread_join(thread_);
    started_ = false;
  }
  netlink_.close();
}

unsigned LinkMonitor::sleep_us() const {
  return polled_ports_.load(std::memory_order_relaxed) > 0 ? poll_interval_us_ : kSafetyReadUs;
}

ControlThreadResult LinkMonitor::run(void *arg) {
  LinkMonitor &self = *static_cast<LinkMonitor *>(arg);
  pollfd fds[2] = {{self.wakeup_.fd(), POLLIN, 0}, {self.netlink_.fd(), POLLIN, 0}};
  bool retry_soon = false;
  bool primary_busy = false;  // some group's primary carries traffic (tx_progress.h)
  while (!self.stop_requested_.load()) {
    // A port skipped last time (another thread was in a driver call on it) is read again at the
    // poll interval, not at the next event: the event that woke us is spent.
    const unsigned sleep_us = retry_soon     ? self.poll_interval_us_
                              : primary_busy ? std::min(self.sleep_us(), kTxProgressCheckMs * 1000)
                                             : self.sleep_us();
    const timespec timeout = {static_cast<time_t>(sleep_us / 1000000),
                              static_cast<long>(sleep_us % 1000000) * 1000};
    const int ready = ppoll(fds, 2, &timeout, nullptr);
    // Never a reason to stop watching links: on an error, read them now and wait again.
    if (ready < 0 && errno != EINTR) nanosleep(&timeout, nullptr);
    const char *source = "poll";
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      self.wakeup_.drain();
      source = "event";
    }
    // A notification about some other interface wakes us too: reading a few ports is cheaper
    // than keeping a map of interface indexes in step with attaches.
    if (ready > 0 && (fds[1].revents & POLLIN) && self.netlink_.drain()) source = "netlink";
    if (self.stop_requested_.load()) break;
    retry_soon = primary_busy = false;
    self.for_each_group_([&](Group &group) {
      retry_soon |= !link_observe(group, source);
      primary_busy |= tx_progress_check(group, monotonic_ns());
    });
  }
  return {};
}

static int on_port_removed(uint16_t port_id, rte_eth_event_type, void *arg, void *) {
  Group &group = *static_cast<Group *>(arg);
  for (Path path : {kPrimary, kStandby})
    if (group.uplink(path).port_id == port_id) link_mark_removed(group, path);
  return 0;
}

// The kernel asks vfio's user to release a device (sriov_numvfs lowered, the PF's driver
// unloaded, a hot-unplug) and its write waits until the device is closed. DPDK 22.11 passes the
// request on only as this device event, on the interrupt thread (pci_vfio_req_handler, then the
// PCI bus's hot-unplug handler), and raises no ethdev RMV for it. A surprise removal, then: the
// primary fails over here, and the control plane closes the device at once (detach), so that the
// host's tooling never waits on the daemon; its retry attaches the device when it is back.
static void on_device_event(const char *device_name, rte_dev_event_type event, void *arg) {
  if (event != RTE_DEV_EVENT_REMOVE) return;
  Group &group = *static_cast<Group *>(arg);
  for (Path path : {kPrimary, kStandby})
    if (group.uplink(path).device_name == device_name) link_mark_removed(group, path);
}

// The primary's driver asks for a reset (iavf, ixgbevf and others after their PF reset): its
// queues may be disabled while its link reads up. On the interrupt thread: out of service at
// once, and the monitor reports it; the control plane resets the port (Dataplane::reset_primary).
static int on_reset_requested(uint16_t port_id, rte_eth_event_type, void *arg, void *) {
  Group &group = *static_cast<Group *>(arg);
  if (group.uplink(kPrimary).port_id != port_id) return 0;
  group.hot.primary_eligible.store(false, std::memory_order_release);
  group.control.primary_reset_requested.store(true, std::memory_order_release);
  group.hot.link_wakeup->notify();
  return 0;
}

// An uplink's link changed (iavf's event thread, from its PF's message): a wake-up only, so that
// thread never waits for a driver call or a group's lock; the monitor reads the link.
static int on_link_changed(uint16_t, rte_eth_event_type, void *arg, void *) {
  static_cast<Group *>(arg)->hot.link_wakeup->notify();
  return 0;
}

static void remove_primary_now(void *arg) {
  Group &group = *static_cast<Group *>(arg);
  const uint16_t port_id = group.uplink(kPrimary).port_id;
  if (port_id != UINT16_MAX) on_port_removed(port_id, RTE_ETH_EVENT_INTR_RMV, &group, nullptr);
}

// As pci_vfio_req_handler does: DPDK dispatches the event to the callbacks registered for the
// device's name.
static void request_primary_release_now(void *arg) {
  Group &group = *static_cast<Group *>(arg);
  if (group.uplink(kPrimary).port_id != UINT16_MAX)
    rte_dev_event_callback_process(group.uplink(kPrimary).device_name.c_str(),
                                   RTE_DEV_EVENT_REMOVE);
}

static void request_primary_reset_now(void *arg) {
  Group &group = *static_cast<Group *>(arg);
  const uint16_t port_id = group.uplink(kPrimary).port_id;
  if (port_id != UINT16_MAX) on_reset_requested(port_id, RTE_ETH_EVENT_INTR_RESET, &group, nullptr);
}

std::string LinkMonitor::inject_primary_reset_request(Group &group) {
  if (group.uplink(kPrimary).port_id == UINT16_MAX)
    return "group \"" + group.name + "\" has no primary";
  const int ret = rte_eal_alarm_set(1, request_primary_reset_now, &group);
  return ret == 0 ? "" : std::string("cannot schedule the reset request: ") + strerror(-ret);
}

std::string LinkMonitor::inject_primary_removal(Group &group, RemovalSignal signal) {
  if (group.uplink(kPrimary).port_id == UINT16_MAX)
    return "group \"" + group.name + "\" has no primary";
  // An alarm runs its callback on the interrupt thread, as the removal interrupt would.
  const int ret = rte_eal_alarm_set(
      1, signal == RemovalSignal::kDeviceEvent ? request_primary_release_now : remove_primary_now,
      &group);
  return ret == 0 ? "" : std::string("cannot schedule the removal: ") + strerror(-ret);
}

static void for_each_port(Group &group, const std::function<void(uint16_t)> &fn) {
  for (Path path : {kPrimary, kStandby})
    if (group.uplink(path).port_id != UINT16_MAX) fn(group.uplink(path).port_id);
}

static void unregister(uint16_t port_id, rte_eth_event_type event, rte_eth_dev_cb_fn fn,
                       void *arg) {
  while (rte_eth_dev_callback_unregister(port_id, event, fn, arg) == -EAGAIN) rte_pause();
}

static Uplink *uplink_of(Group &group, uint16_t port_id) {
  for (Path path : {kPrimary, kStandby})
    if (group.uplink(path).port_id == port_id) return &group.uplink(path);
  return nullptr;
}

static void unregister_device_events(const std::string &device_name, Group &group) {
  while (rte_dev_event_callback_unregister(device_name.c_str(), on_device_event, &group) == -EAGAIN)
    rte_pause();
}

void LinkMonitor::watch_port(Group &group, uint16_t port_id) {
  // A tap uplink has no port: the netlink socket tells its changes, as for any kernel interface.
  if (port_id == UINT16_MAX) return;
  rte_eth_dev_callback_register(port_id, RTE_ETH_EVENT_INTR_RMV, on_port_removed, &group);
  const LinkSource source = link_source_of(port_id);
  Watched &watched = watched_[port_id] = {source, "", port_id == group.uplink(kPrimary).port_id};
  if (Uplink *uplink = uplink_of(group, port_id)) {
    uplink->device_name = watched.device_name = port_device_name(port_id);
    if (!watched.device_name.empty())
      rte_dev_event_callback_register(watched.device_name.c_str(), on_device_event, &group);
  }
  if (watched.primary)
    rte_eth_dev_callback_register(port_id, RTE_ETH_EVENT_INTR_RESET, on_reset_requested, &group);
  switch (source) {
    case LinkSource::kLscEvent:
      rte_eth_dev_callback_register(port_id, RTE_ETH_EVENT_INTR_LSC, on_link_changed, &group);
      break;
    case LinkSource::kPolled:
      polled_ports_.fetch_add(1);
      wakeup_.notify();  // the monitor may be in a long sleep: shorten it now
      break;
    default:
      break;
  }
}

void LinkMonitor::unwatch_port(Group &group, uint16_t port_id) {
  if (port_id == UINT16_MAX) return;  // a tap uplink's: nothing was registered
  unregister(port_id, RTE_ETH_EVENT_INTR_RMV, on_port_removed, &group);
  const auto found = watched_.find(port_id);
  if (found == watched_.end()) return;
  const Watched watched = found->second;
  watched_.erase(found);
  if (!watched.device_name.empty()) unregister_device_events(watched.device_name, group);
  if (watched.primary) unregister(port_id, RTE_ETH_EVENT_INTR_RESET, on_reset_requested, &group);
  const LinkSource source = watched.source;
  switch (source) {
    case LinkSource::kLscEvent:
      unregister(port_id, RTE_ETH_EVENT_INTR_LSC, on_link_changed, &group);
      break;
    case LinkSource::kPolled:
      polled_ports_.fetch_sub(1);
      break;
    default:
      break;
  }
}

void LinkMonitor::watch(Group &group) {
  for_each_port(group, [&](uint16_t port_id) { watch_port(group, port_id); });
}

void LinkMonitor::unwatch(Group &group) {
  rte_eal_alarm_cancel(remove_primary_now, &group);  // waits for one that is running
  rte_eal_alarm_cancel(request_primary_release_now, &group);
  rte_eal_alarm_cancel(request_primary_reset_now, &group);
  for_each_port(group, [&](uint16_t port_id) { unwatch_port(group, port_id); });
}

}  // namespace vhost_failover
