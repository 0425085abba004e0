// A group's guest side: its vhost-user socket, served by DPDK's lib/vhost directly, as Open
// vSwitch, VPP and SPDK serve theirs, not through the net_vhost ethdev. The guest is no ethdev
// port, so a group holds only its uplinks' share of the process's RTE_MAX_ETHPORTS. lib/vhost's
// callbacks (a guest coming, leaving, enabling a queue) run on its vhost-user thread, or on the
// Node thread when a group's removal unregisters its socket; the workers move the frames
// (hot/forward.cc) and sleep on the guest's kicks (hot/rx_waiter.cc).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace vhost_failover {

struct Group;
class MbufPools;

// lib/vhost's per-vring counters by its names ("rx_q0_good_packets": vring 1, the guest's
// transmit ring of queue pair 0; "tx_q0_...": vring 0, its receive ring), over every guest the
// group has had.
using VhostStats = std::map<std::string, uint64_t>;

// Registers and starts the group's socket at `path` (then group.socket): a server listens there,
// a client connects (and reconnects, for as long as the group lives). A guest whose memory is on
// another NUMA node than group.hot.pool takes a pool there from `pools`. "" or why not.
std::string vhost_socket_open(Group &group, const std::string &path, bool client, MbufPools &pools);
// Unregisters the group's socket, if it has one. A guest still connected is taken away first
// (destroy_device, on this thread); once this returns no callback runs for the group.
void vhost_socket_close(Group &group);
// The connected guest's counters added to those of the guests that left.
VhostStats vhost_stats(Group &group);

}  // namespace vhost_failover
