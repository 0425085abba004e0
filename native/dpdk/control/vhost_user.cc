#include "control/vhost_user.h"

#include <linux/virtio_config.h>
#include <rte_log.h>
#include <rte_mempool.h>
#include <rte_vhost.h>

#include <mutex>
#include <vector>

#include "control/mbuf_pools.h"
#include "control/mbuf_sizing.h"
#include "hot/group.h"

namespace vhost_failover {

// The groups by socket path, which is the name lib/vhost gives a guest (rte_vhost_get_ifname).
// A group is in it from before its socket is registered until after it is unregistered, so
// every callback finds its group, alive.
static std::mutex registry_mutex;
static std::map<std::string, Group *> registry;

static Group *group_of(int vid) {
  char path[PATH_MAX];
  if (rte_vhost_get_ifname(vid, path, sizeof(path)) != 0) return nullptr;
  std::lock_guard<std::mutex> lock(registry_mutex);
  const auto found = registry.find(path);
  return found == registry.end() ? nullptr : found->second;
}

// Adds a guest's per-vring counters to `out`; lib/vhost counts only with
// RTE_VHOST_USER_NET_STATS_ENABLE, and names them by vring ("rx_q0_good_packets").
static void add_vring_stats(int vid, VhostStats &out) {
  const uint16_t vrings = rte_vhost_get_vring_num(vid);
  for (uint16_t vring = 0; vring < vrings; vring++) {
    const int count = rte_vhost_vring_stats_get_names(vid, vring, nullptr, 0);
    if (count <= 0) continue;
    std::vector<rte_vhost_stat_name> names(static_cast<size_t>(count));
    std::vector<rte_vhost_stat> values(static_cast<size_t>(count));
    if (rte_vhost_vring_stats_get_names(vid, vring, names.data(), count) != count ||
        rte_vhost_vring_stats_get(vid, vring, values.data(), count) != count)
      continue;  // a vring not mapped yet counted nothing
    for (const rte_vhost_stat &value : values)
      if (value.id < names.size()) out[names[value.id].name] += value.value;
  }
}

// The process's pools (its one Dataplane's), which vhost_socket_open was given.
static MbufPools *guest_pools = nullptr;

// The guest's frames are copied out of its memory into mbufs: into a pool on that memory's NUMA
// node, as Open vSwitch's netdev-dpdk moves a vhost port's pool to rte_vhost_get_numa_node's
// node in new_device. A node lib/vhost cannot tell (-1: no libnuma, or get_mempolicy failed),
// or no memory for a pool there, leaves the group's pool, on the first worker's socket.
static rte_mempool *guest_pool_for(Group &group, int vid) {
  const int node = rte_vhost_get_numa_node(vid);
  rte_mempool *pool = group.hot.pool;
  std::string error;
  if (node >= 0 && node != pool->socket_id) {
    rte_mempool *on_node = guest_pools->reserve(MbufPools::guest_node_owner(&group), node,
                                                port_mbufs(group.queues, 0, 0), &error);
    if (on_node) pool = on_node;
  }
  RTE_LOG(
      NOTICE, USER1,
      "%s: the guest's memory is on NUMA node %d: its frames are copied into mbuf pool %s%s%s\n",
      group.name.c_str(), node, pool->name,
      error.empty() ? "" : ", not one on its node: ", error.c_str());
  return pool;
}

// A guest is ready (its memory and the rings it uses are set up): the workers may use its vid.
static int new_device(int vid) {
  Group *group = group_of(vid);
  uint64_t features = 0;
  if (!group || rte_vhost_get_negotiated_features(vid, &features) != 0) return -1;
  group->hot.guest_pool = guest_pool_for(*group, vid);  // published with the session below
  // Its kicks off until a worker about to sleep asks for them (rx_waiter.cc): a guest kicks on
  // every frame otherwise, at a VM exit's cost. lib/vhost applies this to a vring enabled later.
  for (uint16_t vring = 0; vring < rte_vhost_get_vring_num(vid); vring++)
    rte_vhost_enable_guest_notification(vid, vring, 0);
  group->hot.guest.connected(vid, features & (1ULL << VIRTIO_F_RING_PACKED));
  group->hot.guest_vrings_changed.fetch_add(1, std::memory_order_release);
  group->hot.link_wakeup->notify();  // the guest event
  group->wake_workers();             // one asleep does not watch this guest's kicks yet
  return 0;
}

// The guest stops (QEMU asks for the rings' indexes: a migration's end, a reboot, a reset), or
// its connection closes, or the socket is unregistered. As soon as this returns, lib/vhost hands
// QEMU the indexes (GET_VRING_BASE: the state a migration carries) or frees the device: no
// worker may still be in a burst on it, nor arming its kicks. So the guest is cleared, then the
// workers polling the group are waited out by their pass epochs (Worker::quiesce): at most the
// pass in flight and one more, a sleeping worker woken. With net_vhost this was its
// allow_queuing/while_queuing handshake, plain loads and stores that x86 may reorder; here the
// guest word is the only flag and the epochs' fences order the rest.
static void destroy_device(int vid) {
  Group *group = group_of(vid);
  if (!group) return;
  {
    std::lock_guard<std::mutex> lock(group->control.guest_mutex);
    group->hot.guest.disconnected();
    group->quiesce_workers();
    add_vring_stats(vid, group->control.departed_guests);  // final now: nothing moves frames
    group->hot.guest_pool = group->hot.pool;
    guest_pools->release(MbufPools::guest_node_owner(group));
  }
  // lib/vhost forgets the vrings' states without a callback each; the next guest's come after.
  rte_spinlock_lock(&group->control.guest_queues_lock);
  group->control.guest_vrings_enabled.reset();
  group->hot.guest_rx_queues_enabled.store(0, std::memory_order_relaxed);
  group->hot.guest_tx_queues_enabled.store(0, std::memory_order_relaxed);
  group->control.guest_queues_beyond_enabled.store(0, std::memory_order_relaxed);
  rte_spinlock_unlock(&group->control.guest_queues_lock);
  group->hot.guest_vrings_changed.fetch_add(1, std::memory_order_release);
  group->hot.link_wakeup->notify();
  group->wake_workers();
}

// The guest enabled or disabled a vring (vring 2q: its receive ring of queue pair q, 2q + 1: its
// transmit ring); on the vhost-user thread with every vring's lock held: atomics and wake-ups
// only. Keeps the map of the guest's receive queues forward.cc sends on, and notes queues
// beyond the group's. May come before new_device: a guest enables its rings first.
static int vring_state_changed(int vid, uint16_t vring, int enable) {
  Group *group = group_of(vid);
  if (!group) return -1;
  GroupControl &control = group->control;
  const uint16_t q = vring / 2;
  rte_spinlock_lock(&control.guest_queues_lock);
  // lib/vhost may tell a state twice (a kick eventfd replaced disables and enables the vring).
  const bool changed = vring < control.guest_vrings_enabled.size() &&
                       control.guest_vrings_enabled.test(vring) != (enable != 0);
  if (changed) control.guest_vrings_enabled.set(vring, enable != 0);
  if (changed && q >= group->queues) {
    control.guest_queues_beyond_enabled.fetch_add(enable ? 1 : -1, std::memory_order_relaxed);
    if (enable) control.guest_queues_beyond_events.fetch_add(1, std::memory_order_relaxed);
  } else if (changed) {
    std::atomic<uint32_t> &queues =
        vring % 2 == 0 ? group->hot.guest_rx_queues_enabled : group->hot.guest_tx_queues_enabled;
    if (enable)
      queues.fetch_or(1u << q, std::memory_order_relaxed);
    else
      queues.fetch_and(~(1u << q), std::memory_order_relaxed);
  }
  rte_spinlock_unlock(&control.guest_queues_lock);
  group->hot.guest_vrings_changed.fetch_add(1, std::memory_order_release);  // its kick eventfd
  group->hot.link_wakeup->notify();  // it logs queues the group does not have
  group->wake_workers();
  return 0;
}

static const rte_vhost_device_ops kGuestCallbacks = {
    .new_device = new_device,
    .destroy_device = destroy_device,
    .vring_state_changed = vring_state_changed,
};

// What net_vhost asked of lib/vhost with the devargs the daemon gave it (client=, linear-buffer=1)
// and its defaults: its per-vring counters; the mbuf offload flags as ethdev defines them (a
// frame whose checksum the guest left to the device is marked RTE_MBUF_F_RX_L4_CKSUM_NONE,
// hot/guest_checksum.h); a guest frame in one mbuf or not at all (a frame longer than the
// group's MTU allows is freed inside lib/vhost and counted, hot/vhost_drops.h, rather than
// chained over dozens of the pool's mbufs); and no TSO from the guest (the uplinks take no
// segmentation offload). A client reconnects by itself (no RTE_VHOST_USER_NO_RECONNECT).
static constexpr uint64_t kSocketFlags = RTE_VHOST_USER_NET_STATS_ENABLE |
                                         RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS |
                                         RTE_VHOST_USER_LINEARBUF_SUPPORT;
// VIRTIO_NET_F_HOST_TSO4 and _TSO6 of <linux/virtio_net.h>, which does not compile as C++.
static constexpr uint64_t kFeaturesRefused = 1ULL << 11 | 1ULL << 12;

std::string vhost_socket_open(Group &group, const std::string &path, bool client,
                              MbufPools &pools) {
  guest_pools = &pools;
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    if (!registry.emplace(path, &group).second)
      return "socket " + path + " is already served by this daemon";
  }
  group.socket = path;
  std::string error;
  if (rte_vhost_driver_register(path.c_str(), kSocketFlags | (client ? RTE_VHOST_USER_CLIENT : 0)))
    error = "cannot register vhost-user socket " + path + " (DPDK's log says why)";
  else if (rte_vhost_driver_disable_features(path.c_str(), kFeaturesRefused) != 0)
    error = "cannot set the features of vhost-user socket " + path;
  else if (rte_vhost_driver_callback_register(path.c_str(), &kGuestCallbacks) != 0)
    error = "cannot register the callbacks of vhost-user socket " + path;
  else if (rte_vhost_driver_start(path.c_str()) != 0)
    error = "cannot start vhost-user socket " + path + " (DPDK's log says why)";
  if (!error.empty()) vhost_socket_close(group);
  return error;
}

void vhost_socket_close(Group &group) {
  if (group.socket.empty()) return;
  rte_vhost_driver_unregister(group.socket.c_str());  // harmless if it never registered
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    registry.erase(group.socket);
  }
  group.socket.clear();
}

VhostStats vhost_stats(Group &group) {
  std::lock_guard<std::mutex> lock(group.control.guest_mutex);
  VhostStats stats = group.control.departed_guests;
  const uint64_t session = group.hot.guest.load();
  if (session != GuestSession::kNone) add_vring_stats(GuestSession::vid(session), stats);
  return stats;
}

}  // namespace vhost_failover
