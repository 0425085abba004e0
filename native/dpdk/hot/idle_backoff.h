// Adaptive idle sleep for a polling loop, like OVS's pmd-sleep-max: busy-poll while traffic
// flows, and after a run of empty passes sleep for growing intervals up to a cap, so an idle
// host (or a 2-core CI machine) is not burnt. Any packet resets it to busy polling.
#pragma once

#include <rte_cycles.h>

#include <algorithm>
#include <cstdint>

namespace vhost_failover {

class IdleBackoff {
 public:
  explicit IdleBackoff(unsigned sleep_max_us)
      : sleep_max_us_(sleep_max_us), spin_tsc_(rte_get_tsc_hz() / 1000000 * kSpinUs) {}

  // After each pass: whether the loop has been idle long enough to sleep now.
  bool wants_sleep(unsigned packets_moved) {
    if (packets_moved != 0 || sleep_max_us_ == 0) {
      reset();
      return false;
    }
    const uint64_t now = rte_rdtsc();
    if (!idle_) {
      idle_ = true;
      idle_since_tsc_ = now;
    }
    return now - idle_since_tsc_ >= spin_tsc_;
  }

  // The timed sleep: growing intervals up to the cap.
  void sleep() {
    sleep_us_ = std::min(sleep_max_us_, sleep_us_ == 0 ? 1u : sleep_us_ * 2);
    rte_delay_us_sleep(sleep_us_);
  }

  // Whether the timed sleeps have grown to the cap: idle for about half a millisecond with the
  // default cap, long enough that arming interrupts (a guest kick per transmit while armed) is
  // not paid between the bursts of a moderate stream.
  bool at_cap() const { return sleep_us_ >= sleep_max_us_; }

  void reset() {
    idle_ = false;
    sleep_us_ = 0;
  }

 private:
  // Spinning before the first sleep: short gaps between bursts never pay a wake-up. Bounded by
  // time, not by a count of passes: a pass polls every port the worker holds, so the 1000 passes
  // once counted here grew with the groups (with 32, a read() per own tap in each pass, the
  // worker burnt 120-180 ms of CPU while the groups were added one by one, no frame moving:
  // each add-group's wake-up started another spin).
  static constexpr unsigned kSpinUs = 100;
  const unsigned sleep_max_us_;
  const uint64_t spin_tsc_;
  bool idle_ = false;
  uint64_t idle_since_tsc_ = 0;
  unsigned sleep_us_ = 0;
};

}  // namespace vhost_failover
