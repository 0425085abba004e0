// The packet-buffer pools: one per NUMA socket a port sits on, and another beside it when the
// ports opened on that socket need more than the first holds. Sized from the load as Open
// vSwitch sizes a port's pool (lib/netdev-dpdk.c, dpdk_calculate_mbufs: the rx and tx rings full
// plus a burst per queue), but a shortage of hugepages is an error naming the socket and the
// MiB missing, never a smaller pool. Pools are never freed while the daemon runs: mbufs of a
// removed port's pool may still sit in another port's rings.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

struct rte_mempool;

namespace vhost_failover {

// The mbufs one port holds at most: every rx descriptor filled, every tx descriptor holding a
// frame not yet freed, and a burst per queue in a worker's hands.
unsigned port_mbufs(unsigned queues, unsigned rx_descriptors, unsigned tx_descriptors);

class MbufPools {
 public:
  // mtu sizes every mbuf; least_mbufs is the smallest pool made, so that a socket's first
  // groups share one pool instead of one each; a port on no socket (a vdev) takes
  // default_socket's, the first worker's.
  void configure(unsigned mtu, unsigned least_mbufs, int default_socket);

  // Who takes mbufs from a pool: a port, by its id, or a group's guest (guest_owner).
  using Owner = uint64_t;
  static Owner guest_owner(const void *group) { return reinterpret_cast<uintptr_t>(group); }

  // The pool whose mbufs owner's queues take, on `socket` (SOCKET_ID_ANY: default_socket), with
  // `mbufs` counted against it until release(owner) or its next reserve. nullptr and *error when
  // no pool has room and none can be made.
  rte_mempool *reserve(Owner owner, int socket, unsigned mbufs, std::string *error);
  void release(Owner owner);

  unsigned in_use() const;
  void free_all();

 private:
  struct Pool {
    rte_mempool *mempool;
    int socket;
    unsigned size;      // mbufs
    unsigned reserved;  // counted against it by the ports that use it
  };
  Pool *make(int socket, unsigned mbufs, std::string *error);

  unsigned mtu_ = 1500;
  unsigned least_mbufs_ = 0;
  int default_socket_ = 0;
  std::vector<Pool> pools_;
  std::map<Owner, std::pair<size_t, unsigned>> reservations_;  // pool index, mbufs
};

}  // namespace vhost_failover
