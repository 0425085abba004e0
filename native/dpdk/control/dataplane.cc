#include "control/dataplane.h"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "control/link_state.h"
#include "control/mbuf_sizing.h"
#include "control/port.h"
#include "control/uplink_device.h"

namespace vhost_failover {

// How long a detach waits for a NIC to send what is in its tx ring: 512 descriptors of 64-byte
// frames leave a 1 Gb/s link in 0.35 ms; this is room for a paused or congested link.
static constexpr unsigned kTxDrainTimeoutUs = 100000;

std::string Dataplane::start(const DataplaneOptions &options, EventSink sink, LogSink log_sink) {
  options_ = options;
  sink_ = std::move(sink);
  std::string error = log_stream_open(std::move(log_sink));
  if (error.empty()) error = eal_init(options.eal_args);
  if (!error.empty()) return error;
  eal_ready_ = true;

  if (options.worker_lcores.empty()) return "at least one worker lcore is needed";
  pools_.configure(options.max_mtu, options.mbufs,
                   static_cast<int>(rte_lcore_to_socket_id(options.worker_lcores[0])));
  for (unsigned lcore : options.worker_lcores) {
    if (!rte_lcore_is_enabled(lcore) || lcore == rte_get_main_lcore())
      return "worker lcore " + std::to_string(lcore) + " is not a worker lcore of this EAL";
    auto worker = std::make_unique<Worker>();
    worker->lcore_id = lcore;
    worker->idle_sleep_max_us = options.idle_sleep_max_us;
    worker->rx_interrupts = options.rx_interrupts;
    if (rte_eal_remote_launch(worker_main, worker.get(), lcore) != 0)
      return "cannot launch the worker on lcore " + std::to_string(lcore);
    workers_.push_back(std::move(worker));
  }
  // The monitor works on a snapshot: the registry lock is never held across a driver call, and
  // a group removed meanwhile stays alive (not present) until the pass ends.
  return monitor_.start(options.link_poll_interval_us, [this](auto fn) {
    std::vector<std::shared_ptr<Group>> snapshot;
    {
      std::lock_guard<std::mutex> lock(groups_mutex_);
      snapshot = groups_;
    }
    for (auto &group : snapshot) fn(*group);
  });
}

void Dataplane::shutdown() {
  monitor_.stop();
  for (const std::string &name : group_names()) remove_group(name);
  for (auto &worker : workers_) {
    worker->stop_requested = true;
    worker->waiter.wakeup().notify();
    rte_eal_wait_lcore(worker->lcore_id);
  }
  workers_.clear();
  pools_.free_all();
  if (eal_ready_) eal_cleanup();
  eal_ready_ = false;
}

std::string Dataplane::probe_unclaimed(const std::string &devargs, uint16_t *port_id) {
  // DPDK's own message for a full port table is a bare "no space left": say which limit.
  if (rte_eth_dev_count_total() >= RTE_MAX_ETHPORTS)
    return "cannot probe device \"" + devargs + "\": this DPDK build holds at most " +
           std::to_string(RTE_MAX_ETHPORTS) +
           " ports (RTE_MAX_ETHPORTS), all in use; every group takes one for each uplink that is a "
           "DPDK device (a tap:NAME uplink takes none)";
  uint16_t id = UINT16_MAX;
  std::string error = port_probe(devargs, &id);
  if (!error.empty()) return error;
  // Some buses answer a probe of a device they already have with success and its port: that
  // port belongs to another group or role and must never be configured or closed from here.
  if (!claimed_ports_.insert(id).second)
    return "device \"" + devargs + "\" is already in use by this daemon";
  *port_id = id;
  return "";
}

void Dataplane::release(PortCallLock &calls, uint16_t &port_id) {
  if (port_id == UINT16_MAX) return;
  std::lock_guard<PortCallLock> lock(calls);  // waits out a link query in progress
  port_release(port_id);
  pools_.release(port_id);
  claimed_ports_.erase(port_id);
  port_id = UINT16_MAX;
}

std::string Dataplane::start_port(uint16_t port_id, PortSetup &setup, unsigned mbufs) {
  std::string error;
  setup.pool = pools_.reserve(port_id, rte_eth_dev_socket_id(port_id), mbufs, &error);
  return setup.pool ? port_start(port_id, setup) : error;
}

void Dataplane::release_uplink(Group &group, Uplink &uplink) {
  if (uplink.kind == UplinkKind::kEthdev) return release(uplink.calls, uplink.port_id);
  std::lock_guard<PortCallLock> lock(uplink.calls);  // waits out a link query in progress
  uplink_close_tap(uplink, group.queues);
}

std::string Dataplane::start_uplink(Group &group, Path path) {
  PortSetup setup = uplink_setup(group, path);
  return start_port(group.uplink(path).port_id, setup,
                    port_mbufs(setup.queues, setup.rx_descriptors, setup.tx_descriptors));
}

PortSetup Dataplane::uplink_setup(Group &group, Path path) const {
  PortSetup setup;
  setup.rx_interrupt = options_.rx_interrupts;
  setup.queues = group.queues;
  setup.rx_descriptors = group.node.rx_descriptors;
  setup.tx_descriptors = group.node.tx_descriptors;
  setup.mtu = group.node.mtu;
  // The primary answers for the guest's MAC, as the VF does under Linux net_failover.
  setup.mac = &group.hot.guest_mac;
  setup.mac_mode = group.uplink(path).mac_mode;
  return setup;
}

// Programs one uplink with the group's receive filter (a PF mailbox round trip on a VF). Holds
// only that port's call lock: the monitor and the worker skip the port meanwhile, and no other
// port or group waits.
static void apply_rx_filter(Group &group, Path path) {
  Uplink &uplink = group.uplink(path);
  // No port (none, or a tap: it filters nothing, and passes the guest all its kernel side sends,
  // which its outcome, "all", says).
  if (uplink.port_id == UINT16_MAX) return;
  std::lock_guard<PortCallLock> lock(uplink.calls);
  uplink.rx_filter_outcome =
      rx_filter_apply(uplink.port_id, group.node.rx_filter, &uplink.applied_vlans);
}

std::string Dataplane::open_uplink(Group &group, Path path, const std::string &devargs,
                                   MacMode mac_mode) {
  Uplink &uplink = group.uplink(path);
  uplink.devargs = devargs;
  uplink.mac_mode = mac_mode;
  uplink.kind = uplink_kind_of(devargs);
  std::string error;
  // A tap reads into the group's pool (the guest port's), a burst per queue at a time.
  if (uplink.kind == UplinkKind::kTap) {
    error = uplink_open_tap(uplink, devargs, uplink_setup(group, path));
  } else {
    error = probe_unclaimed(devargs, &uplink.port_id);
    if (error.empty()) error = start_uplink(group, path);
  }
  if (!error.empty()) return std::string(path_name(path)) + " port: " + error;
  // The group's filter as known now (pass everything before the guest's is), before the port
  // carries anything, and what the port made of it in status: a port started with its VLAN
  // filter on may not turn it off.
  apply_rx_filter(group, path);
  if (path == kPrimary) tx_ring_baseline(group);
  return "";
}

std::string Dataplane::open_ports(Group &group, const GroupSpec &spec, std::string *primary_error) {
  // The group's pool, on the first worker's socket: its guest's bursts (until a guest whose
  // memory is on another NUMA node takes one there, control/vhost_user.cc) and its taps'.
  std::string error;
  group.hot.pool = pools_.reserve(MbufPools::guest_owner(&group), SOCKET_ID_ANY,
                                  guest_mbufs(group.queues), &error);
  if (!group.hot.pool) return "guest: " + error;
  group.hot.guest_pool = group.hot.pool;
  error = vhost_socket_open(group, spec.vhost_socket, spec.vhost_client, pools_);
  if (!error.empty()) return error;
  error = open_uplink(group, kStandby, spec.standby_devargs, MacMode::kLeave);
  if (!error.empty()) return error;
  // The primary is the one port a group can do without: it starts on its standby.
  Uplink &primary = group.uplink(kPrimary);
  *primary_error = open_uplink(group, kPrimary, spec.primary_devargs, spec.primary_mac_mode);
  if (!primary_error->empty()) {
    release_uplink(group, primary);
    primary.devargs.clear();
  }
  return "";
}

void Dataplane::close_ports(Group &group) {
  vhost_socket_close(group);
  pools_.release(MbufPools::guest_owner(&group));
  for (Uplink &uplink : group.hot.uplinks) {
    tx_stall_remove(uplink.port_id, &uplink.injected_tx_stalls);
    release_uplink(group, uplink);
  }
}

std::string Dataplane::no_such_group(const std::string &name) {
  std::string known;
  for (const std::string &group : group_names()) known += (known.empty() ? "" : ", ") + group;
  return "no group \"" + name + "\" (groups: " + known + ")";
}

static std::vector<Worker *> distinct(std::vector<Worker *> workers) {
  std::sort(workers.begin(), workers.end());
  workers.erase(std::unique(workers.begin(), workers.end()), workers.end());
  return workers;
}

Group *Dataplane::find(const std::string &name, std::vector<Worker *> *workers) {
  std::lock_guard<std::mutex> lock(groups_mutex_);
  for (size_t i = 0; i < groups_.size(); i++)
    if (groups_[i]->name == name) {
      if (workers) *workers = distinct(queue_workers_[i]);
      return groups_[i].get();
    }
  return nullptr;
}

void Dataplane::quiesce(const std::vector<Worker *> &workers) {
  for (Worker *worker : workers) worker->quiesce();
}

std::string Dataplane::detach_primary(const std::string &name, TxDrain *drain) {
  *drain = TxDrain::kNotReported;
  std::vector<Worker *> workers;
  Group *group = find(name, &workers);
  if (!group) return no_such_group(name);
  Uplink &primary = group->uplink(kPrimary);
  if (!primary.has_device()) return "group \"" + name + "\" has no primary to detach";
  // Make before break: new bursts go to the standby, and the burst in flight on the primary
  // is finished, before the primary stops being polled and is closed.
  link_set_primary_eligible(*group, false, SwitchCause::kDetached, "primary detached");
  quiesce(workers);  // every queue's worker: none may still be in a burst on the primary
  bool was_present;
  {
    std::lock_guard<std::mutex> lock(group->control.mutex);
    was_present = primary.present.exchange(false);
    primary.link_up = false;
  }
  quiesce(workers);
  // Nothing transmits on it now; let a NIC send what is still in its ring. A surprise-removed
  // device has nothing left to send, nor a tap (each write hands its frame to the kernel).
  const bool ethdev = primary.kind == UplinkKind::kEthdev;
  if (was_present && ethdev)
    *drain = port_drain_tx(primary.port_id, group->queues, kTxDrainTimeoutUs);
  // What the drain left (a ring a fault disabled) goes with the port. Asked of a removed device
  // too: vfio keeps it until it is released below.
  tx_ring_count_lost(*group);
  if (was_present && ethdev) {
    std::lock_guard<PortCallLock> lock(primary.calls);
    port_restore_mac(primary.port_id);
  }
  monitor_.unwatch_port(*group, primary.port_id);
  tx_stall_remove(primary.port_id, &primary.injected_tx_stalls);
  release_uplink(*group, primary);
  primary.devargs.clear();
  primary.applied_vlans.clear();
  primary.rx_filter_outcome = RxFilterOutcome{};
  return "";
}

std::string Dataplane::set_rx_filter(const std::string &name, const RxFilter &filter) {
  Group *group = find(name);
  if (!group) return no_such_group(name);
  group->node.rx_filter = filter;
  for (Path path : {kPrimary, kStandby})
    if (group->uplink(path).present.load()) apply_rx_filter(*group, path);
  return "";
}

std::string Dataplane::attach_primary(const std::string &name, const std::string &devargs,
                                      MacMode mac_mode) {
  Group *group = find(name);
  if (!group) return no_such_group(name);
  Uplink &primary = group->uplink(kPrimary);
  if (primary.has_device())
    return "group \"" + name + "\" already has a primary (" + primary.devargs +
           "); detach it first";
  const std::string error = open_uplink(*group, kPrimary, devargs, mac_mode);
  if (!error.empty()) {
    release_uplink(*group, primary);
    primary.devargs.clear();
    return error;
  }
  group->hot.primary_loss_seen_by_worker = false;  // about the old primary
  link_primary_restored(*group);                   // a new device is in service (its filter is on)
  primary.generation.fetch_add(1, std::memory_order_release);
  primary.present.store(true, std::memory_order_release);
  monitor_.watch_port(*group, primary.port_id);
  link_observe(*group, "attach");
  group->wake_workers();  // a worker asleep on its interrupts does not yet watch this port
  return "";
}

std::string Dataplane::add_group(const GroupSpec &spec, std::string *primary_error) {
  if (with_group(spec.name, [](Group &) {}).empty())
    return "group \"" + spec.name + "\" already exists";
  if (spec.mtu > options_.max_mtu)
    return "mtu " + std::to_string(spec.mtu) + " exceeds the mbuf size chosen at start (" +
           std::to_string(options_.max_mtu) + ")";
  auto group = std::make_shared<Group>();
  group->name = spec.name;
  group->node.mtu = static_cast<uint16_t>(spec.mtu);
  group->node.rx_descriptors = static_cast<uint16_t>(spec.rx_descriptors);
  group->node.tx_descriptors = static_cast<uint16_t>(spec.tx_descriptors);
  group->hot.rx_mode = spec.rx_mode;
  if (spec.queues < 1 || spec.queues > kMaxQueues)
    return "queues must be 1.." + std::to_string(kMaxQueues) + ", not " +
           std::to_string(spec.queues);
  group->queues = static_cast<uint16_t>(spec.queues);
  const uint64_t tsc_per_ms = rte_get_tsc_hz() / 1000;
  group->control.rx_grace_tsc = spec.rx_grace_ms * tsc_per_ms;
  group->hot.tx_stall_tsc = kTxStallMs * tsc_per_ms;
  group->hot.guest_addresses.max_age_tsc = spec.garp_max_age_ms * tsc_per_ms;
  group->control.sink = &sink_;
  group->hot.link_wakeup = &monitor_.wakeup();
  if (rte_ether_unformat_addr(spec.mac.c_str(), &group->hot.guest_mac) != 0)
    return "\"" + spec.mac + "\" is not a MAC address";
  group->hot.frame_rules.mac = group->hot.guest_mac;
  group->hot.frame_rules.spoof_check = spec.spoof_check;
  group->hot.frame_rules.max_frame_bytes = spec.mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;

  const std::string error = open_ports(*group, spec, primary_error);
  if (!error.empty()) {
    close_ports(*group);
    return "group \"" + spec.name + "\": " + error;
  }
  // Present before the removal callbacks are armed: a removal from then on is never missed.
  group->uplink(kPrimary).present = group->uplink(kPrimary).has_device();
  group->uplink(kStandby).present = true;
  group->hot.started = true;
  monitor_.watch(*group);
  link_observe(*group, "start");

  // Each queue to the worker with the fewest queues then: a group's queues spread over the
  // workers. Two workers may then share a guest's receive queue (forward.cc's send_to_guest).
  std::vector<Worker *> placed;
  {
    std::lock_guard<std::mutex> lock(groups_mutex_);
    groups_.push_back(group);
    queue_workers_.emplace_back();
    for (uint16_t q = 0; q < group->queues; q++) {
      Worker &worker = least_loaded_worker_locked();
      queue_workers_.back().push_back(&worker);
      group->control.queue_workers[q].store(&worker, std::memory_order_release);
    }
    placed = distinct(queue_workers_.back());
  }
  group->hot.vhost_tx_shared = placed.size() > 1;  // before any worker sees the group
  for (Worker *worker : placed) republish(*worker);
  return "";
}

std::string Dataplane::remove_group(const std::string &name) {
  std::shared_ptr<Group> group;
  std::vector<Worker *> workers;
  {
    std::lock_guard<std::mutex> lock(groups_mutex_);
    for (size_t i = 0; i < groups_.size(); i++) {
      if (groups_[i]->name != name) continue;
      group = std::move(groups_[i]);
      workers = distinct(queue_workers_[i]);
      groups_.erase(groups_.begin() + static_cast<long>(i));
      queue_workers_.erase(queue_workers_.begin() + static_cast<long>(i));
      break;
    }
  }
  if (!group) return no_such_group(name);
  captures_.erase(name);  // its file closed, its copies freed: the workers copy nothing more
  for (Worker *worker : workers) republish(*worker);  // none sees the group once this returns
  monitor_.unwatch(*group);
  bool primary_there;
  {
    std::lock_guard<std::mutex> lock(group->control.mutex);
    primary_there = group->uplink(kPrimary).present.load();
    group->hot.started = false;
    for (Uplink &uplink : group->hot.uplinks) uplink.present = false;
  }
  if (primary_there) {
    std::lock_guard<PortCallLock> lock(group->uplink(kPrimary).calls);
    port_restore_mac(group->uplink(kPrimary).port_id);
  }
  close_ports(*group);
  return "";
}

std::string Dataplane::with_group(const std::string &name, const std::function<void(Group &)> &fn) {
  {
    std::lock_guard<std::mutex> lock(groups_mutex_);
    for (auto &group : groups_)
      if (group->name == name) {
        fn(*group);
        return "";
      }
  }
  return no_such_group(name);
}

std::string Dataplane::announce(const std::string &name) {
  return with_group(name, [](Group &group) {
    group.hot.announce_requested.fetch_add(1, std::memory_order_release);
    group.wake_workers();
  });
}

std::string Dataplane::set_garp_max_age(const std::string &name, unsigned ms) {
  return with_group(name, [&](Group &group) {
    group.hot.guest_addresses.max_age_tsc.store(ms * (rte_get_tsc_hz() / 1000),
                                                std::memory_order_relaxed);
  });
}

std::string Dataplane::set_primary_eligible(const std::string &name, bool eligible,
                                            SwitchCause cause, const std::string &reason,
                                            bool *applied) {
  return with_group(name, [&](Group &group) {
    *applied = link_set_primary_eligible(group, eligible, cause, reason);
  });
}

std::string Dataplane::inject_driver_stall(const std::string &name, unsigned ms) {
  std::shared_ptr<Group> stalled;
  {
    std::lock_guard<std::mutex> lock(groups_mutex_);
    for (auto &group : groups_)
      if (group->name == name) stalled = group;
  }
  if (!stalled) return no_such_group(name);
  // As a slow driver call would: its own thread holds the ports' call locks for the time given.
  // The call returns once they are held, so a request made after it meets the stall (on a busy
  // machine the thread may otherwise start after that request is served).
  std::promise<void> held;
  std::future<void> holding = held.get_future();
  std::thread([stalled, ms, held = std::move(held)]() mutable {
    std::lock_guard<PortCallLock> primary(stalled->uplink(kPrimary).calls);
    std::lock_guard<PortCallLock> standby(stalled->uplink(kStandby).calls);
    held.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }).detach();
  holding.wait();
  return "";
}

std::string Dataplane::inject_primary_removal(const std::string &name, RemovalSignal signal) {
  std::string error;
  std::string missing = with_group(
      name, [&](Group &group) { error = LinkMonitor::inject_primary_removal(group, signal); });
  return missing.empty() ? error : missing;
}

std::string Dataplane::inject_primary_reset_request(const std::string &name) {
  std::string error;
  std::string missing = with_group(
      name, [&](Group &group) { error = LinkMonitor::inject_primary_reset_request(group); });
  return missing.empty() ? error : missing;
}

std::string Dataplane::inject_tx_stall(const std::string &name) {
  Group *group = find(name);
  if (!group) return no_such_group(name);
  Uplink &primary = group->uplink(kPrimary);
  if (!primary.present.load()) return "group \"" + name + "\" has no primary in service";
  if (primary.kind == UplinkKind::kTap)
    return "group \"" + name + "\"'s primary is a tap, which has no transmit callbacks to stall";
  std::lock_guard<PortCallLock> lock(primary.calls);
  return tx_stall_inject(primary.port_id, group->queues, &primary.injected_tx_stalls);
}

std::string Dataplane::reset_primary(const std::string &name) {
  std::vector<Worker *> workers;
  Group *group = find(name, &workers);
  if (!group) return no_such_group(name);
  Uplink &primary = group->uplink(kPrimary);
  if (!primary.has_device()) return "group \"" + name + "\" has no primary to reset";
  // A tap has no driver state to reset: it is made afresh by a detach and an attach.
  if (primary.kind == UplinkKind::kTap)
    return "primary port: tap " + primary.tap_name + " has no reset; it is made again instead";
  link_set_primary_eligible(*group, false, SwitchCause::kReset, "primary being reset");
  quiesce(workers);  // none still in a burst on it
  {
    std::lock_guard<std::mutex> lock(group->control.mutex);
    primary.present = false;
    primary.link_up = false;
  }
  quiesce(workers);  // none polls it any more
  monitor_.unwatch_port(*group, primary.port_id);
  std::string error;
  {
    std::lock_guard<PortCallLock> lock(primary.calls);
    tx_stall_remove(primary.port_id, &primary.injected_tx_stalls);
  }
  tx_ring_count_lost(*group);  // the reset empties the ring
  {
    std::lock_guard<PortCallLock> lock(primary.calls);
    // Stops the port and has its driver re-initialise the device (for a VF: a reset handshake
    // with its PF). A driver without reset (ENOTSUP) is re-probed by the caller instead.
    const int ret = rte_eth_dev_reset(primary.port_id);
    error = ret != 0 ? std::string("rte_eth_dev_reset: ") + rte_strerror(-ret)
                     : start_uplink(*group, kPrimary);
  }
  if (!error.empty()) return "primary port: " + error;
  primary.applied_vlans.clear();  // the reset emptied the port's filters
  tx_ring_baseline(*group);
  apply_rx_filter(*group, kPrimary);
  link_primary_restored(*group);
  primary.generation.fetch_add(1, std::memory_order_release);
  primary.present.store(true, std::memory_order_release);
  monitor_.watch_port(*group, primary.port_id);
  link_observe(*group, "reset");
  group->wake_workers();
  return "";
}

std::string Dataplane::carry_guest_mac(const std::string &name, bool carry) {
  Group *group = find(name);
  if (!group) return no_such_group(name);
  Uplink &primary = group->uplink(kPrimary);
  if (primary.mac_mode != MacMode::kSet || !primary.present.load()) return "";
  std::lock_guard<PortCallLock> lock(primary.calls);
  if (carry) return port_set_guest_mac(primary.port_id, group->hot.guest_mac);
  port_restore_mac(primary.port_id);
  return "";
}

static UplinkReport report_uplink(const Uplink &uplink) {
  return {uplink.devargs,        uplink_kind_name(uplink.kind), uplink.port_id,
          uplink.present.load(), uplink.link_up.load(),         uplink.rx_filter_outcome};
}

std::string Dataplane::group_status(const std::string &name, GroupStatusReport *out) {
  return with_group(name, [&](Group &group) {
    out->name = group.name;
    out->guest_connected = group.hot.guest_ready.load();
    for (Path path : {kPrimary, kStandby}) out->uplinks[path] = report_uplink(group.uplink(path));
    out->primary_eligible = group.hot.primary_eligible.load();
    out->active_path = group.hot.transmit_path();
    out->announcement_pending =
        group.hot.announce_requested.load() != group.hot.announce_answered.load();
    out->queues = group.queues;
    out->guest_rx_queues_enabled = group.hot.guest_rx_queues_enabled.load();
    out->guest_queues_beyond = group.control.guest_queues_beyond_enabled.load() > 0;
    out->guest_ipv4 =
        report_guest_addresses(group.hot.guest_addresses, rte_rdtsc(), rte_get_tsc_hz());
  });
}

// A port's counters; a driver call (a VF may ask its PF), so under the port's lock. Skipped (not
// present) when the port is gone, removed, or busy in another driver call: a scrape never waits
// behind a PF mailbox, and never asks a surprise-removed device.
static PortStatsReport port_stats(PortCallLock &calls, bool there,
                                  const std::function<PortStatsReport()> &read) {
  if (!there || !calls.try_lock()) return {};
  PortStatsReport report = read();
  calls.unlock();
  return report;
}

// The guest's counters in ethdev's shape, from lib/vhost's per-vring ones: received is what the
// guest sent (its transmit rings, "rx_qN_"), sent what it was given. Frames its rings refused are
// the workers' count (rx_dropped_guest), as net_vhost's tx missed were.
static PortStatsReport guest_port_stats(Group &group) {
  const VhostStats stats = vhost_stats(group);
  const auto stat = [&](const std::string &name) {
    const auto found = stats.find(name);
    return found == stats.end() ? 0 : found->second;
  };
  PortStatsReport report;
  report.present = true;
  for (uint16_t q = 0; q < group.queues; q++) {
    const std::string rx = "rx_q" + std::to_string(q) + "_", tx = "tx_q" + std::to_string(q) + "_";
    report.queue_ipackets.push_back(stat(rx + "good_packets"));
    report.queue_opackets.push_back(stat(tx + "good_packets"));
    report.ipackets += report.queue_ipackets.back();
    report.opackets += report.queue_opackets.back();
    report.ibytes += stat(rx + "good_bytes");
    report.obytes += stat(tx + "good_bytes");
  }
  const Counters counters = group.hot.counters.sum();
  for (Path path : {kPrimary, kStandby}) report.oerrors += counters.rx_dropped_guest[path];
  return report;
}

std::string Dataplane::group_port_stats(const std::string &name, GroupPortStats *out) {
  Group *group = find(name);
  if (!group) return no_such_group(name);
  const uint16_t queues = group->queues;
  out->vhost = guest_port_stats(*group);
  for (Path path : {kPrimary, kStandby}) {
    Uplink &uplink = group->uplink(path);
    out->uplinks[path] = port_stats(uplink.calls, uplink.has_device() && uplink.present.load(),
                                    [&] { return uplink_device_stats(uplink, queues); });
  }
  return "";
}

std::vector<uint64_t> Dataplane::worker_passes() const {
  std::vector<uint64_t> passes;
  for (const auto &worker : workers_) passes.push_back(worker->passes.load());
  return passes;
}

std::string Dataplane::group_stats(const std::string &name, GroupStatsReport *out) {
  return with_group(name, [&](Group &group) {
    out->counters = group.hot.counters.sum();
    out->last_switch_gap_us = static_cast<double>(group.hot.last_switch_gap_tsc.load()) * 1e6 /
                              static_cast<double>(rte_get_tsc_hz());
  });
}

std::vector<std::string> Dataplane::group_names() {
  std::lock_guard<std::mutex> lock(groups_mutex_);
  std::vector<std::string> names;
  for (auto &group : groups_) names.push_back(group->name);
  return names;
}

unsigned Dataplane::mbufs_in_use() const {
  return pools_.in_use();
}

Worker &Dataplane::least_loaded_worker_locked() {
  Worker *best = workers_.front().get();
  size_t best_load = SIZE_MAX;
  for (auto &worker : workers_) {
    size_t load = 0;
    for (const auto &queues : queue_workers_)
      load += static_cast<size_t>(std::count(queues.begin(), queues.end(), worker.get()));
    if (load < best_load) best = worker.get(), best_load = load;
  }
  return *best;
}

std::vector<PollUnit> Dataplane::poll_units_locked(const Worker &worker) const {
  std::vector<PollUnit> units;
  for (size_t i = 0; i < groups_.size(); i++)
    for (uint16_t q = 0; q < queue_workers_[i].size(); q++)
      if (queue_workers_[i][q] == &worker) units.push_back({groups_[i].get(), q});
  return units;
}

void Dataplane::republish(Worker &worker) {
  auto list = std::make_unique<GroupList>();
  {
    std::lock_guard<std::mutex> lock(groups_mutex_);
    list->units = poll_units_locked(worker);
  }
  worker.publish(std::move(list));
}

static uint64_t load_relaxed(const uint64_t &counter) {
  return __atomic_load_n(&counter, __ATOMIC_RELAXED);
}

static int port_or_none(uint16_t port_id) {
  return port_id == UINT16_MAX ? -1 : port_id;
}

static PollUnitReport report_unit(const PollUnit &unit) {
  const Group &group = *unit.group;
  PollUnitReport report;
  report.group = group.name;
  report.queue = unit.queue;
  const uint64_t guest = group.hot.guest.load();
  report.guest_vid = guest == GuestSession::kNone ? -1 : GuestSession::vid(guest);
  report.primary_port = port_or_none(group.hot.uplinks[kPrimary].port_id);
  report.standby_port = port_or_none(group.hot.uplinks[kStandby].port_id);
  report.frames = load_relaxed(group.hot.queue_owned[unit.queue].frames_polled);
  return report;
}

std::vector<WorkerReport> Dataplane::worker_reports() {
  std::vector<WorkerReport> reports;
  std::lock_guard<std::mutex> lock(groups_mutex_);  // the groups stay while their units are read
  for (const auto &worker : workers_) {
    WorkerReport report;
    report.lcore = worker->lcore_id;
    report.busy_tsc = load_relaxed(worker->cycles.busy_tsc);
    report.idle_tsc = load_relaxed(worker->cycles.idle_tsc);
    report.asleep_tsc = load_relaxed(worker->cycles.asleep_tsc);
    report.frames = load_relaxed(worker->cycles.frames);
    report.passes = worker->passes.load(std::memory_order_relaxed);
    for (const PollUnit &unit : poll_units_locked(*worker))
      report.poll_units.push_back(report_unit(unit));
    reports.push_back(std::move(report));
  }
  return reports;
}

// How long an on-demand xstats read waits for another driver call on the port (a PF mailbox
// round trip, a link query) before it gives up: the Node thread must not hang on a stuck driver.
static constexpr auto kXstatsLockWait = std::chrono::milliseconds(200);

static std::string read_xstats(uint16_t port_id, std::vector<PortXstat> *out) {
  const int count = rte_eth_xstats_get_names(port_id, nullptr, 0);
  if (count < 0) return std::string("rte_eth_xstats_get_names: ") + rte_strerror(-count);
  std::vector<rte_eth_xstat_name> names(static_cast<size_t>(count));
  std::vector<rte_eth_xstat> values(static_cast<size_t>(count));
  const int named = rte_eth_xstats_get_names(port_id, names.data(), count);
  const int read = rte_eth_xstats_get(port_id, values.data(), count);
  if (named != count || read != count) return "the port's xstats changed while read; try again";
  for (const rte_eth_xstat &value : values)
    if (value.id < names.size()) out->push_back({names[value.id].name, value.value});
  return "";
}

// lib/vhost's per-vring counters, after their sums per direction ("rx_good_packets").
static void read_guest_xstats(Group &group, std::vector<PortXstat> *out) {
  const VhostStats stats = vhost_stats(group);
  VhostStats sums;
  for (const auto &[name, value] : stats) {
    const size_t queue_end = name.find('_', 3);  // "rx_q12_good_packets": after "rx_q12"
    if (queue_end != std::string::npos)
      sums[name.substr(0, 3) + name.substr(queue_end + 1)] += value;
  }
  for (const auto &[name, value] : sums) out->push_back({name, value});
  for (const auto &[name, value] : stats) out->push_back({name, value});
}

std::string Dataplane::port_xstats(const std::string &name, PortRole role,
                                   std::vector<PortXstat> *out) {
  Group *group = find(name);
  if (!group) return no_such_group(name);
  if (role == PortRole::kVhost) {
    read_guest_xstats(*group, out);
    return "";
  }
  const Path path = role == PortRole::kPrimary ? kPrimary : kStandby;
  Uplink &uplink = group->uplink(path);
  if (uplink.kind == UplinkKind::kTap)
    return "group \"" + name + "\"'s " + path_name(path) +
           " is a tap, which has no driver xstats; port-stats has its counters";
  if (uplink.port_id == UINT16_MAX || !uplink.present.load())
    return "group \"" + name + "\" has no " + path_name(path) + " port in service";
  const auto give_up = std::chrono::steady_clock::now() + kXstatsLockWait;
  while (!uplink.calls.try_lock()) {
    if (std::chrono::steady_clock::now() > give_up)
      return std::string("the ") + path_name(path) +
             " port is busy in another driver call; try again";
    std::this_thread::yield();
  }
  const std::string error = read_xstats(uplink.port_id, out);
  uplink.calls.unlock();
  return error;
}

}  // namespace vhost_failover
