// What a group asks of the workers polling its queues: a pass soon (a wake-up), or the end of
// every pass they are in (a quiescence). A group with several queues may be on several workers.
#include <algorithm>

#include "hot/group.h"
#include "hot/worker.h"

namespace vhost_failover {

void Group::wake_workers() const {
  for (uint16_t q = 0; q < queues; q++)
    if (const Worker *worker = control.queue_workers[q].load(std::memory_order_acquire))
      worker->waiter.wakeup().notify();
}

void Group::quiesce_workers() const {
  const Worker *done[kMaxQueues] = {};
  for (uint16_t q = 0; q < queues; q++) {
    const Worker *worker = control.queue_workers[q].load(std::memory_order_acquire);
    if (!worker || std::find(done, done + q, worker) != done + q) continue;
    worker->quiesce();
    done[q] = worker;
  }
}

}  // namespace vhost_failover
