#include "control/link_state.h"

#include <rte_cycles.h>
#include <rte_log.h>

#include <mutex>

#include "control/port.h"
#include "control/uplink_device.h"

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
  if (group.control.sink && *group.control.sink) (*group.control.sink)(std::move(event));
}

static void report_path_locked(Group &group, SwitchCause cause, const std::string &reason) {
  const Path now = group.hot.transmit_path();
  if (now == group.control.reported_path) return;
  Event event;
  event.type = EventType::kPathSwitched;
  event.from = path_name(group.control.reported_path);
  event.to = path_name(now);
  event.cause = cause;
  event.reason = reason;
  group.control.reported_path = now;
  emit(group, std::move(event));
}

static void change_uplink_link(Group &group, Path path, bool up, const char *source) {
  Uplink &uplink = group.uplink(path);
  // Clear eligibility first: the worker must stop using a dead primary before anything else.
  if (!up && path == kPrimary) group.hot.primary_eligible.store(false, std::memory_order_release);
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
  if (path == kPrimary && group.hot.primary_loss_seen_by_worker.exchange(false))
    change_uplink_link(group, path, false, "failed send");
  change_uplink_link(group, path, up, source);
}

// A port's link as its driver reads it now, unless another thread is in a driver call on the
// port (then this round skips it) or the port is gone.
struct LinkReading {
  bool taken = false;
  bool busy = false;  // not taken: another thread was in a driver call on the port
  bool up = false;
  uint32_t generation = 0;     // the uplink's port it was read from
  uint64_t ticket = 0;         // the uplink's readings, in the order they were taken
  uint32_t worker_losses = 0;  // primary losses the worker had seen before the reading
};

// Whether lib/vhost has a guest on the group's socket (vhost_user.cc): a load, no driver call.
static LinkReading read_guest(Group &group) {
  LinkReading reading;
  reading.taken = group.hot.started.load(std::memory_order_acquire);
  reading.up = group.hot.guest.load() != GuestSession::kNone;
  return reading;
}

static LinkReading read_uplink(Group &group, Path path) {
  Uplink &uplink = group.uplink(path);
  LinkReading reading;
  if (!uplink.calls.try_lock()) return {false, true};
  // Acquire: a present port's id and generation were written before it became present.
  if (uplink.present.load(std::memory_order_acquire)) {
    reading.taken = true;
    reading.generation = uplink.generation.load();
    reading.ticket = uplink.readings.fetch_add(1) + 1;
    reading.worker_losses = group.hot.primary_losses_seen_by_worker.load(std::memory_order_acquire);
    reading.up = uplink_link_up(uplink);
  }
  uplink.calls.unlock();
  return reading;
}

static void apply_guest(Group &group, bool ready, const char *source) {
  if (group.hot.guest_ready.load() == ready || group.hot.guest_ready.exchange(ready) == ready)
    return;
  Event event;
  event.type = EventType::kGuest;
  event.port = "vhost";
  event.up = ready;
  event.reason =
      std::string("guest ") + (ready ? "connected" : "disconnected") + " (" + source + ")";
  emit(group, std::move(event));
  // A new guest's kicks are off (vhost_user.cc): a worker asleep on them would not hear it send.
  if (ready) group.wake_workers();
}

// A guest that enabled queues the group does not have (QEMU's queues= above the group's
// `queues`): their frames are never dequeued. A configuration error, logged once per new count.
static void report_guest_queues_beyond_locked(Group &group) {
  const uint32_t beyond = group.control.guest_queues_beyond_events.load(std::memory_order_relaxed);
  if (beyond == group.control.guest_queues_beyond_reported) return;
  group.control.guest_queues_beyond_reported = beyond;
  RTE_LOG(WARNING, USER1,
          "group %s: the guest enabled queues beyond the group's %u queue pairs; their frames "
          "are lost: give QEMU's vhost-user netdev queues=%u at most, or raise the group's "
          "queues\n",
          group.name.c_str(), group.queues, group.queues);
}

// A gap the worker measured since the last look, as an event (one per switch, the latest value).
static void report_switch_gap_locked(Group &group) {
  const uint64_t measured = group.hot.switch_gaps_measured.load(std::memory_order_acquire);
  if (measured == group.control.switch_gaps_reported) return;
  group.control.switch_gaps_reported = measured;
  Event event;
  event.type = EventType::kSwitchGap;
  event.gap_us = static_cast<double>(group.hot.last_switch_gap_tsc.load()) * 1e6 /
                 static_cast<double>(rte_get_tsc_hz());
  event.reason = "switch gap measured";
  emit(group, std::move(event));
}

static void primary_fault_locked(Group &group, SwitchCause cause, const std::string &reason) {
  group.hot.primary_eligible.store(false, std::memory_order_release);
  // One fault per period of service: the control plane is already resetting the port.
  if (!group.control.primary_needs_reset.exchange(true)) {
    Event event;
    event.type = EventType::kPrimaryFault;
    event.port = path_name(kPrimary);
    event.cause = cause;
    event.reason = reason;
    emit(group, std::move(event));
  }
  report_path_locked(group, cause, reason);
}

// What the worker and the interrupt thread flagged since the last look.
static void report_primary_faults_locked(Group &group) {
  if (group.hot.primary_tx_stall_seen.exchange(false))
    primary_fault_locked(group, SwitchCause::kTxStalled,
                         "primary tx stalled: it refused every frame for " +
                             std::to_string(kTxStallMs) + " ms with its link up");
  if (group.control.primary_reset_requested.exchange(false))
    primary_fault_locked(group, SwitchCause::kReset,
                         "primary reset requested by its driver (RTE_ETH_EVENT_INTR_RESET)");
}

void link_primary_fault(Group &group, SwitchCause cause, const std::string &reason) {
  std::lock_guard<std::mutex> lock(group.control.mutex);
  primary_fault_locked(group, cause, reason);
}

void link_primary_restored(Group &group) {
  std::lock_guard<std::mutex> lock(group.control.mutex);
  group.control.primary_needs_reset.store(false);
}

bool link_observe(Group &group, const char *source) {
  // Driver calls first, outside control_mutex: a slow one never holds up the flags.
  const LinkReading guest = read_guest(group);
  const LinkReading links[kUplinks] = {read_uplink(group, kPrimary), read_uplink(group, kStandby)};
  std::lock_guard<std::mutex> lock(group.control.mutex);
  report_switch_gap_locked(group);
  report_guest_queues_beyond_locked(group);
  report_primary_faults_locked(group);
  if (guest.taken && group.hot.started.load()) apply_guest(group, guest.up, source);
  for (Path path : {kPrimary, kStandby}) {
    Uplink &uplink = group.uplink(path);
    const LinkReading &reading = links[path];
    // Not a reading of a port since detached or replaced, nor one older than a reading applied
    // already (an attach's and the monitor's may cross).
    if (!reading.taken || !uplink.present.load() ||
        reading.generation != uplink.generation.load() ||
        reading.ticket <= uplink.last_applied_reading)
      continue;
    uplink.last_applied_reading = reading.ticket;
    // The worker found the primary dead after this reading was taken: its "up" is stale.
    const bool stale =
        path == kPrimary && reading.worker_losses != group.hot.primary_losses_seen_by_worker.load();
    apply_uplink_link(group, path, reading.up && !stale, source);
  }
  return !guest.busy && !links[kPrimary].busy && !links[kStandby].busy;
}

void link_mark_removed(Group &group, Path path) {
  std::lock_guard<std::mutex> lock(group.control.mutex);
  Uplink &uplink = group.uplink(path);
  if (path == kPrimary) group.hot.primary_eligible.store(false, std::memory_order_release);
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
  std::lock_guard<std::mutex> lock(group.control.mutex);
  const Uplink &primary = group.uplink(kPrimary);
  const bool usable =
      primary.present.load() && primary.link_up.load() && !group.control.primary_needs_reset.load();
  // Before the primary takes over: the standby's frames still in flight reach the guest for the
  // grace window (rx: failover), and the workers' stall windows start afresh. Ordered before the
  // release store the worker acquires.
  if (eligible && usable && !group.hot.primary_eligible.load()) {
    group.hot.standby_rx_until_tsc.store(rte_rdtsc() + group.control.rx_grace_tsc,
                                         std::memory_order_relaxed);
    group.hot.primary_service_epoch.fetch_add(1, std::memory_order_relaxed);
  }
  group.hot.primary_eligible.store(eligible && usable, std::memory_order_release);
  report_path_locked(group, cause, reason);
  return !eligible || usable;
}

}  // namespace vhost_failover
