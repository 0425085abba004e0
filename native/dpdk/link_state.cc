#include "link_state.h"

#include <rte_pause.h>

#include <mutex>

#include "port.h"

namespace vhost_failover {

const char *path_name(Path path) {
  switch (path) {
    case kPrimary:
      return "primary";
    case kStandby:
      return "standby";
    default:
      return "none";
  }
}

static void emit(Group &group, Event &&event) {
  event.group = group.name;
  event.at_ns = monotonic_ns();
  if (group.sink && *group.sink) (*group.sink)(std::move(event));
}

static void report_path_locked(Group &group, SwitchCause cause, const std::string &reason) {
  const Path now = group.transmit_path();
  if (now == group.reported_path) return;
  Event event;
  event.type = EventType::kPathSwitched;
  event.from = path_name(group.reported_path);
  event.to = path_name(now);
  event.cause = cause;
  event.reason = reason;
  group.reported_path = now;
  emit(group, std::move(event));
}

static void change_uplink_link(Group &group, Path path, bool up, const char *source) {
  Uplink &uplink = group.uplink(path);
  // Clear eligibility first: the worker must stop using a dead primary before anything else.
  if (!up && path == kPrimary) group.primary_eligible.store(false, std::memory_order_release);
  const SwitchCause cause = up ? SwitchCause::kLinkUp : SwitchCause::kLinkDown;
  // Read before writing: an unchanged flag is not stored, so the worker's cached copy survives.
  if (uplink.link_up.load() == up || uplink.link_up.exchange(up) == up) {
    report_path_locked(group, cause,
                       std::string(path_name(path)) + " link " + (up ? "up" : "down"));
    return;
  }
  const std::string reason =
      std::string(path_name(path)) + " link " + (up ? "up" : "down") + " (" + source + ")";
  Event event;
  event.type = EventType::kLink;
  event.port = path_name(path);
  event.up = up;
  event.reason = reason;
  emit(group, std::move(event));
  report_path_locked(group, cause, reason);
}

static void apply_uplink_link(Group &group, Path path, bool up, const char *source) {
  // The worker found the primary dead on a refused send: report that loss even if the link is
  // back already (a flap shorter than a poll), or the policy would never hear of it.
  if (path == kPrimary && group.primary_loss_seen_by_worker.exchange(false))
    change_uplink_link(group, path, false, "failed send");
  change_uplink_link(group, path, up, source);
}

// The primary's link as its driver reads it, never queried by two threads at once.
static bool primary_link_up(Group &group) {
  while (group.primary_link_query_busy.test_and_set(std::memory_order_acquire)) rte_pause();
  const bool up = port_link_up(group.uplink(kPrimary).port_id);
  group.primary_link_query_busy.clear(std::memory_order_release);
  return up;
}

static void apply_guest(Group &group, bool ready, const char *source) {
  if (group.guest_ready.load() == ready || group.guest_ready.exchange(ready) == ready) return;
  Event event;
  event.type = EventType::kGuest;
  event.port = "vhost";
  event.up = ready;
  event.reason =
      std::string("guest ") + (ready ? "connected" : "disconnected") + " (" + source + ")";
  emit(group, std::move(event));
}

void link_observe(Group &group, const char *source) {
  std::lock_guard<std::mutex> lock(group.control_mutex);
  if (group.vhost_present.load()) apply_guest(group, port_link_up(group.vhost_port), source);
  for (Path path : {kPrimary, kStandby}) {
    Uplink &uplink = group.uplink(path);
    if (!uplink.present.load()) continue;
    const bool up = path == kPrimary ? primary_link_up(group) : port_link_up(uplink.port_id);
    apply_uplink_link(group, path, up, source);
  }
}

void link_mark_removed(Group &group, Path path) {
  std::lock_guard<std::mutex> lock(group.control_mutex);
  Uplink &uplink = group.uplink(path);
  if (path == kPrimary) group.primary_eligible.store(false, std::memory_order_release);
  if (!uplink.present.exchange(false)) return;
  uplink.link_up.store(false);
  const std::string reason = std::string(path_name(path)) + " device removed";
  Event event;
  event.type = EventType::kRemoved;
  event.port = path_name(path);
  event.port_id = uplink.port_id;
  event.reason = reason;
  emit(group, std::move(event));
  report_path_locked(group, SwitchCause::kRemoved, reason);
}

bool link_set_primary_eligible(Group &group, bool eligible, SwitchCause cause,
                               const std::string &reason) {
  std::lock_guard<std::mutex> lock(group.control_mutex);
  const Uplink &primary = group.uplink(kPrimary);
  const bool usable = primary.present.load() && primary.link_up.load();
  group.primary_eligible.store(eligible && usable, std::memory_order_release);
  report_path_locked(group, cause, reason);
  return !eligible || usable;
}

}  // namespace vhost_failover
