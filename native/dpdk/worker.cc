#include "worker.h"

#include <rte_cycles.h>

#include <thread>

#include "forward.h"
#include "idle_backoff.h"

namespace vhost_failover {

void Worker::publish(std::unique_ptr<const GroupList> next) {
  polled.store(next.get(), std::memory_order_release);
  quiesce();
  owned = std::move(next);
}

void Worker::quiesce() const {
  // Orders the caller's change (a list, a flag) before reading the epoch; with the worker's
  // seq_cst epoch store this is a Dekker pair: no pass that started after this fence misses it.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!running.load(std::memory_order_acquire)) return;
  const uint64_t start = passes.load(std::memory_order_acquire);
  // The pass running now may have begun before the caller's change; the one after it has not.
  while (passes.load(std::memory_order_acquire) < start + 2 &&
         running.load(std::memory_order_acquire))
    std::this_thread::yield();
}

int worker_main(void *arg) {
  Worker &worker = *static_cast<Worker *>(arg);
  IdleBackoff backoff(worker.idle_sleep_max_us);
  uint64_t passes = 0;
  worker.running.store(true, std::memory_order_release);
  while (!worker.stop_requested.load(std::memory_order_relaxed)) {
    const GroupList *list = worker.polled.load(std::memory_order_acquire);
    unsigned moved = 0;
    if (list)
      for (Group *group : list->groups) moved += poll_group(*group, worker.lcore_id);
    worker.passes.store(++passes, std::memory_order_seq_cst);  // one locked op per pass
    backoff.after_pass(moved);
  }
  worker.running.store(false, std::memory_order_release);
  return 0;
}

}  // namespace vhost_failover
