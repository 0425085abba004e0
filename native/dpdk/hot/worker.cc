#include "hot/worker.h"

#include <rte_cycles.h>
#include <sys/prctl.h>

#include <thread>

#include "hot/forward.h"
#include "hot/idle_backoff.h"

namespace vhost_failover {

void Worker::publish(std::unique_ptr<const GroupList> next) {
  polled.store(next.get(), std::memory_order_release);
  lists_published.fetch_add(1, std::memory_order_release);
  quiesce();
  owned = std::move(next);
}

void Worker::quiesce() const {
  // Orders the caller's change (a list, a flag) before reading the epoch; with the worker's
  // seq_cst epoch store this is a Dekker pair: no pass that started after this fence misses it.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!running.load(std::memory_order_acquire)) return;
  const uint64_t start = passes.load(std::memory_order_acquire);
  waiter.wakeup().notify();  // a worker asleep on its interrupts makes no passes
  // The pass running now may have begun before the caller's change; the one after it has not.
  while (passes.load(std::memory_order_acquire) < start + 2 &&
         running.load(std::memory_order_acquire))
    std::this_thread::yield();
}

// Counts what moved per unit and per worker: a store on each only when frames moved.
static unsigned poll_list(const GroupList *list, Worker &worker) {
  unsigned moved = 0;
  if (list)
    for (const PollUnit &unit : list->units) {
      const unsigned frames = poll_group(*unit.group, unit.queue, worker.lcore_id);
      if (frames != 0) count(unit.group->hot.queue_owned[unit.queue].frames_polled, frames);
      moved += frames;
    }
  if (moved != 0) count(worker.cycles.frames, moved);
  return moved;
}

// Longest sleep on interrupts: a lost wake-up costs at most this, and the watchdog (which
// judges the workers over 500 ms) still sees passes.
static constexpr int kInterruptWaitMaxMs = 100;

// An idle worker's wait: the timed back-off until its sleeps reach their cap, then, where every
// port can interrupt, on interrupts: arm, look once more (a frame queued before the arm raised
// none), sleep, disarm. Every driver call here uses `list`, so it belongs to the pass that
// loaded it: the pass's epoch is stored only after it (see worker_main).
static void idle(Worker &worker, const GroupList *list, uint64_t version, IdleBackoff &backoff) {
  if (!worker.rx_interrupts || !backoff.at_cap() || !worker.waiter.ready_for(list, version)) {
    backoff.sleep();
    return;
  }
  if (!worker.waiter.arm()) {
    backoff.sleep();
    return;
  }
  bool woken = true;
  if (poll_list(list, worker) == 0 && !worker.stop_requested.load(std::memory_order_relaxed))
    woken = worker.waiter.wait(kInterruptWaitMaxMs);
  worker.waiter.disarm();
  // Woken (a frame, a control call): poll for a while before the next sleep, so that a quiesce
  // sees passes at once. Timed out: nothing happened; sleep on interrupts again straight away.
  if (woken) backoff.reset();
}

int worker_main(void *arg) {
  Worker &worker = *static_cast<Worker *>(arg);
  // Linux rounds a sleeping thread's timer up by its slack, 50 us by default: an idle worker's
  // 1 us first sleep would take 50, and a frame arriving meanwhile would wait that long. As OVS
  // does for its PMD threads (pmd-maxsleep): 1 us.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  IdleBackoff backoff(worker.idle_sleep_max_us);
  PassClock clock(worker.cycles);
  uint64_t passes = 0;
  worker.running.store(true, std::memory_order_release);
  while (!worker.stop_requested.load(std::memory_order_relaxed)) {
    // The version first: a list published meanwhile is seen as a change next time.
    const uint64_t version = worker.lists_published.load(std::memory_order_acquire);
    const GroupList *list = worker.polled.load(std::memory_order_acquire);
    const unsigned moved = poll_list(list, worker);
    clock.polled(moved);
    if (backoff.wants_sleep(moved)) {
      idle(worker, list, version, backoff);
      clock.slept();
    }
    // One epoch store per pass, after the pass's last use of `list` (an idle wait's disarm too):
    // quiesce() counts on it.
    worker.passes.store(++passes, std::memory_order_seq_cst);
  }
  worker.running.store(false, std::memory_order_release);
  return 0;
}

}  // namespace vhost_failover
