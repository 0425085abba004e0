// The packet-buffer pools: one per NUMA socket a port sits on, and another beside it when the
// ports opened on that socket need more than the first holds. Sized from the load as Open
// vSwitch sizes a port's pool (lib/netdev-dpdk.c, dpdk_calculate_mbufs: the rx and tx rings full
// plus a burst per queue, control/mbuf_sizing.h), but a shortage of hugepages is an error naming
// the socket and the MiB missing, never a smaller pool. A pool no port or guest reserves any more
// is freed once all its mbufs are back in it (rte_mempool_full): until then some may still sit
// in a port's rings or a worker's hands, and freeing it would pull the memory from under them.
// Called from the Node thread and from lib/vhost's (a guest's pool on its NUMA node).
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <string>

struct rte_mempool;

namespace vhost_failover {

class MbufPools {
 public:
  // mtu sizes every mbuf; least_mbufs is the smallest pool made, so that a socket's first
  // groups share one pool instead of one each; a port on no socket (a vdev) takes
  // default_socket's, the first worker's.
  void configure(unsigned mtu, unsigned least_mbufs, int default_socket);

  // Who takes mbufs from a pool: a port, by its id, or a group's guest: the group's own
  // (guest_owner, its taps' and announcements' too) and one on the guest memory's NUMA node
  // while a guest whose memory is elsewhere is connected (guest_node_owner).
  using Owner = uint64_t;
  static Owner guest_owner(const void *group) { return reinterpret_cast<uintptr_t>(group); }
  static Owner guest_node_owner(const void *group) { return guest_owner(group) + 1; }

  // The pool whose mbufs owner's queues take, on `socket` (SOCKET_ID_ANY: default_socket), with
  // `mbufs` counted against it until release(owner) or its next reserve. nullptr and *error when
  // no pool has room and none can be made.
  rte_mempool *reserve(Owner owner, int socket, unsigned mbufs, std::string *error);
  // Called once owner's queues take nothing more from its pool (its port closed, its guest
  // gone); the pool is freed if nobody else reserves it and its mbufs are all back.
  void release(Owner owner);

  unsigned in_use() const;
  void free_all();

 private:
  struct Pool {
    rte_mempool *mempool;
    int socket;
    unsigned size;      // mbufs
    unsigned reserved;  // counted against it by the owners that use it
  };
  Pool *make(int socket, unsigned mbufs, std::string *error);
  void unreserve(Owner owner);
  // Frees the pools nobody reserves whose mbufs are all back; a pool with mbufs still out (in a
  // ring of a port another owner still runs) is tried again at the next reserve or release.
  void free_drained();

  mutable std::mutex mutex_;
  unsigned mtu_ = 1500;
  unsigned least_mbufs_ = 0;
  int default_socket_ = 0;
  unsigned pools_made_ = 0;  // names each pool: vhfo_s<socket>_<n>
  std::list<Pool> pools_;    // stable addresses: reservations point into it
  std::map<Owner, std::pair<Pool *, unsigned>> reservations_;  // pool, mbufs
};

}  // namespace vhost_failover
