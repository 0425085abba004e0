// Adaptive idle sleep for a polling loop, like OVS's pmd-sleep-max: busy-poll while traffic
// flows, and after a run of empty passes sleep for growing intervals up to a cap, so an idle
// host (or a 2-core CI machine) is not burnt. Any packet resets it to busy polling.
#pragma once

#include <rte_cycles.h>

#include <algorithm>

namespace vhost_failover {

class IdleBackoff {
 public:
  explicit IdleBackoff(unsigned sleep_max_us) : sleep_max_us_(sleep_max_us) {}

  // After each pass: whether the loop has been idle long enough to sleep now.
  bool wants_sleep(unsigned packets_moved) {
    if (packets_moved != 0 || sleep_max_us_ == 0) {
      reset();
      return false;
    }
    return ++empty_passes_ >= kEmptyPassesBeforeSleep;
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
    empty_passes_ = 0;
    sleep_us_ = 0;
  }

 private:
  // About 100 us of spinning on a few ports before the first sleep: short gaps between bursts
  // never pay a wake-up.
  static constexpr unsigned kEmptyPassesBeforeSleep = 1000;
  const unsigned sleep_max_us_;
  unsigned empty_passes_ = 0;
  unsigned sleep_us_ = 0;
};

}  // namespace vhost_failover
