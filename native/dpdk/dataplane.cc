#include "dataplane.h"

#include <algorithm>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "link_state.h"
#include "port.h"

namespace vf {

std::string Dataplane::start(const DataplaneOptions &options, EventSink sink) {
  options_ = options;
  sink_ = std::move(sink);
  std::string error = eal_init(options.eal_args);
  if (!error.empty()) return error;
  eal_ready_ = true;
  pool_ = mbuf_pool_create(options.mbufs, options.max_mtu, &error);
  if (!pool_) return error;

  if (options.worker_lcores.empty()) return "at least one worker lcore is needed";
  for (unsigned lcore : options.worker_lcores) {
    if (!rte_lcore_is_enabled(lcore) || lcore == rte_get_main_lcore())
      return "worker lcore " + std::to_string(lcore) + " is not a worker lcore of this EAL";
    auto worker = std::make_unique<Worker>();
    worker->lcore_id = lcore;
    worker->idle_sleep_max_us = options.idle_sleep_max_us;
    if (rte_eal_remote_launch(worker_main, worker.get(), lcore) != 0)
      return "cannot launch the worker on lcore " + std::to_string(lcore);
    workers_.push_back(std::move(worker));
  }
  return monitor_.start(options.link_poll_interval_us, [this](auto fn) {
    std::lock_guard<std::mutex> lock(groups_mutex_);
    for (auto &group : groups_) fn(*group);
  });
}

void Dataplane::shutdown() {
  monitor_.stop();
  for (const std::string &name : group_names()) remove_group(name);
  for (auto &worker : workers_) {
    worker->stop_requested = true;
    rte_eal_wait_lcore(worker->lcore_id);
  }
  workers_.clear();
  if (pool_) rte_mempool_free(pool_);
  pool_ = nullptr;
  if (eal_ready_) eal_cleanup();
  eal_ready_ = false;
}

static Path path_of_role(const std::string &role) { return role == "primary" ? kPrimary : kStandby; }

std::string Dataplane::open_ports(Group &group, const GroupSpec &spec) {
  PortSetup setup;
  setup.pool = pool_;
  setup.rx_descriptors = static_cast<uint16_t>(spec.rx_descriptors);
  setup.tx_descriptors = static_cast<uint16_t>(spec.tx_descriptors);

  std::string error = port_probe(spec.vhost_devargs, &group.vhost_port);
  if (error.empty()) error = port_start(group.vhost_port, setup);
  if (!error.empty()) return "vhost port: " + error;

  setup.mtu = static_cast<uint16_t>(spec.mtu);
  for (const char *role : {"primary", "standby"}) {
    Uplink &uplink = group.uplink(path_of_role(role));
    uplink.devargs = role == std::string("primary") ? spec.primary_devargs : spec.standby_devargs;
    // The primary answers for the guest's MAC, as the VF does under Linux net_failover.
    const bool set_mac = path_of_role(role) == kPrimary && spec.set_primary_mac;
    setup.mac = set_mac ? &group.guest_mac : nullptr;
    error = port_probe(uplink.devargs, &uplink.port_id);
    if (error.empty()) error = port_start(uplink.port_id, setup);
    if (!error.empty()) return std::string(role) + " port: " + error;
  }
  return "";
}

void Dataplane::close_ports(Group &group) {
  if (group.vhost_port != UINT16_MAX) port_release(group.vhost_port);
  for (Uplink &uplink : group.uplinks)
    if (uplink.port_id != UINT16_MAX) port_release(uplink.port_id);
}

std::string Dataplane::add_group(const GroupSpec &spec) {
  if (with_group(spec.name, [](Group &) {})) return "group \"" + spec.name + "\" already exists";
  if (spec.mtu > options_.max_mtu)
    return "mtu " + std::to_string(spec.mtu) + " exceeds the mbuf size chosen at start (" +
           std::to_string(options_.max_mtu) + ")";
  auto group = std::make_unique<Group>();
  group->name = spec.name;
  group->mtu = static_cast<uint16_t>(spec.mtu);
  group->rx_mode = spec.rx_mode;
  group->sink = &sink_;
  if (rte_ether_unformat_addr(spec.mac.c_str(), &group->guest_mac) != 0)
    return "\"" + spec.mac + "\" is not a MAC address";

  std::string error = open_ports(*group, spec);
  if (!error.empty()) {
    close_ports(*group);
    return "group \"" + spec.name + "\": " + error;
  }
  LinkMonitor::watch(*group);
  group->uplink(kPrimary).present = true;
  group->uplink(kStandby).present = true;
  group->vhost_present = true;
  link_observe(*group, "start");

  Worker &worker = least_loaded_worker();
  {
    std::lock_guard<std::mutex> lock(groups_mutex_);
    groups_.push_back(std::move(group));
    group_worker_.push_back(&worker);
  }
  republish(worker);
  return "";
}

std::string Dataplane::remove_group(const std::string &name) {
  std::unique_ptr<Group> group;
  Worker *worker = nullptr;
  {
    std::lock_guard<std::mutex> lock(groups_mutex_);
    for (size_t i = 0; i < groups_.size(); i++) {
      if (groups_[i]->name != name) continue;
      group = std::move(groups_[i]);
      worker = group_worker_[i];
      groups_.erase(groups_.begin() + static_cast<long>(i));
      group_worker_.erase(group_worker_.begin() + static_cast<long>(i));
      break;
    }
  }
  if (!group) return "no group \"" + name + "\"";
  republish(*worker);  // the worker no longer sees the group once this returns
  LinkMonitor::unwatch(*group);
  {
    std::lock_guard<std::mutex> lock(group->control_mutex);
    group->vhost_present = false;
    for (Uplink &uplink : group->uplinks) uplink.present = false;
  }
  close_ports(*group);
  return "";
}

bool Dataplane::with_group(const std::string &name, const std::function<void(Group &)> &fn) {
  std::lock_guard<std::mutex> lock(groups_mutex_);
  for (auto &group : groups_)
    if (group->name == name) {
      fn(*group);
      return true;
    }
  return false;
}

std::vector<std::string> Dataplane::group_names() {
  std::lock_guard<std::mutex> lock(groups_mutex_);
  std::vector<std::string> names;
  for (auto &group : groups_) names.push_back(group->name);
  return names;
}

unsigned Dataplane::mbufs_in_use() const { return pool_ ? rte_mempool_in_use_count(pool_) : 0; }

Worker &Dataplane::least_loaded_worker() {
  std::lock_guard<std::mutex> lock(groups_mutex_);
  Worker *best = workers_.front().get();
  size_t best_load = SIZE_MAX;
  for (auto &worker : workers_) {
    size_t load = static_cast<size_t>(
        std::count(group_worker_.begin(), group_worker_.end(), worker.get()));
    if (load < best_load) best = worker.get(), best_load = load;
  }
  return *best;
}

void Dataplane::republish(Worker &worker) {
  auto list = std::make_unique<GroupList>();
  {
    std::lock_guard<std::mutex> lock(groups_mutex_);
    for (size_t i = 0; i < groups_.size(); i++)
      if (group_worker_[i] == &worker) list->groups.push_back(groups_[i].get());
  }
  worker.publish(std::move(list));
}

}  // namespace vf
