#include "link_monitor.h"

#include <rte_alarm.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "link_state.h"

namespace vhost_failover {

uint64_t monotonic_ns() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
}

std::string LinkMonitor::start(unsigned interval_us, ForEachGroup for_each_group) {
  interval_us_ = interval_us;
  for_each_group_ = std::move(for_each_group);
  stop_requested_ = false;
  int ret = rte_ctrl_thread_create(&thread_, "vhfo-link-mon", nullptr, &LinkMonitor::run, this);
  if (ret != 0) return std::string("cannot start the link monitor thread: ") + strerror(ret);
  started_ = true;
  return "";
}

void LinkMonitor::stop() {
  if (!started_) return;
  stop_requested_ = true;
  pthread_join(thread_, nullptr);
  started_ = false;
}

void *LinkMonitor::run(void *arg) {
  LinkMonitor &self = *static_cast<LinkMonitor *>(arg);
  const timespec interval = {static_cast<time_t>(self.interval_us_ / 1000000),
                             static_cast<long>(self.interval_us_ % 1000000) * 1000};
  while (!self.stop_requested_.load()) {
    self.for_each_group_([](Group &group) { link_observe(group, "poll"); });
    nanosleep(&interval, nullptr);
  }
  return nullptr;
}

static int on_port_removed(uint16_t port_id, rte_eth_event_type, void *arg, void *) {
  Group &group = *static_cast<Group *>(arg);
  for (Path path : {kPrimary, kStandby})
    if (group.uplink(path).port_id == port_id) link_mark_removed(group, path);
  return 0;
}

static void remove_primary_now(void *arg) {
  Group &group = *static_cast<Group *>(arg);
  const uint16_t port_id = group.uplink(kPrimary).port_id;
  if (port_id != UINT16_MAX) on_port_removed(port_id, RTE_ETH_EVENT_INTR_RMV, &group, nullptr);
}

std::string LinkMonitor::inject_primary_removal(Group &group) {
  if (group.uplink(kPrimary).port_id == UINT16_MAX)
    return "group \"" + group.name + "\" has no primary";
  // An alarm runs its callback on the interrupt thread, as the removal interrupt would.
  const int ret = rte_eal_alarm_set(1, remove_primary_now, &group);
  return ret == 0 ? "" : std::string("cannot schedule the removal: ") + strerror(-ret);
}

static void for_each_port(Group &group, const std::function<void(uint16_t)> &fn) {
  fn(group.vhost_port);
  for (Path path : {kPrimary, kStandby})
    if (group.uplink(path).port_id != UINT16_MAX) fn(group.uplink(path).port_id);
}

void LinkMonitor::watch_port(Group &group, uint16_t port_id) {
  rte_eth_dev_callback_register(port_id, RTE_ETH_EVENT_INTR_RMV, on_port_removed, &group);
}

void LinkMonitor::unwatch_port(Group &group, uint16_t port_id) {
  while (rte_eth_dev_callback_unregister(port_id, RTE_ETH_EVENT_INTR_RMV, on_port_removed,
                                         &group) == -EAGAIN)
    rte_pause();
}

void LinkMonitor::watch(Group &group) {
  for_each_port(group, [&](uint16_t port_id) { watch_port(group, port_id); });
}

void LinkMonitor::unwatch(Group &group) {
  rte_eal_alarm_cancel(remove_primary_now, &group);  // waits for one that is running
  for_each_port(group, [&](uint16_t port_id) { unwatch_port(group, port_id); });
}

}  // namespace vhost_failover
