// Serialises DPDK control calls on one port, which DPDK does not make thread-safe: link queries
// (link monitor, and the worker after a refused send), receive-filter programming (a PF mailbox
// round trip on a VF, milliseconds), closing. The monitor and the worker only ever try it and
// skip the port for this round when it is busy, so a slow call on one port never delays another
// port's link check; the Node thread, whose calls are rare, waits.
#pragma once

#include <rte_pause.h>

#include <atomic>

namespace vhost_failover {

class PortCallLock {
 public:
  bool try_lock() { return !busy_.test_and_set(std::memory_order_acquire); }
  void lock() {
    while (!try_lock()) rte_pause();
  }
  void unlock() { busy_.clear(std::memory_order_release); }

 private:
  std::atomic_flag busy_ = ATOMIC_FLAG_INIT;
};

}  // namespace vhost_failover
