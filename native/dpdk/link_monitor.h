// A control thread that polls every port's link state at a short interval, and the LSC/RMV
// interrupt callbacks. Both are needed: some drivers (net_tap here) advertise LSC yet send no
// event when the kernel side goes down, and polling alone would miss a surprise removal.
#pragma once

#include <atomic>
#include <functional>
#include <pthread.h>

#include "group.h"

namespace vf {

class LinkMonitor {
 public:
  using ForEachGroup = std::function<void(const std::function<void(Group &)> &)>;

  std::string start(unsigned interval_us, ForEachGroup for_each_group);
  void stop();

  static void watch(Group &group);    // registers the group's ports' LSC/RMV callbacks
  static void unwatch(Group &group);  // unregisters them, waiting out a running callback

 private:
  static void *run(void *self);
  pthread_t thread_{};
  bool started_ = false;
  std::atomic<bool> stop_requested_{false};
  unsigned interval_us_ = 1000;
  ForEachGroup for_each_group_;
};

}  // namespace vf
