// A worker lcore and the list of group queues it polls. The list is swapped, never edited, so
// the loop reads it without locks; writers wait for two passes before freeing the old one.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "hot/poll_list.h"
#include "hot/rx_waiter.h"
#include "hot/worker_cycles.h"

namespace vhost_failover {

struct Worker {
  unsigned lcore_id = 0;
  unsigned idle_sleep_max_us = 0;
  bool rx_interrupts = false;  // idle, sleep on the ports' rx interrupts where all have them
  std::atomic<const GroupList *> polled{nullptr};
  std::atomic<uint64_t> lists_published{0};  // bumped before each new `polled`
  std::atomic<uint64_t> passes{0};           // one store per pass: the quiescence epoch
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> running{false};
  std::unique_ptr<const GroupList> owned;  // what `polled` points at; only control threads touch
  RxWaiter waiter;                         // the worker's; its wakeup() is anyone's
  WorkerCycles cycles;                     // the worker's; read by control threads

  // Replaces the polled list and returns once the worker can no longer see the old one.
  void publish(std::unique_ptr<const GroupList> next);
  // Returns once every pass that started before the call has ended.
  void quiesce() const;
};

// rte_eal_remote_launch entry point; arg is the Worker.
int worker_main(void *arg);

}  // namespace vhost_failover
