// A control thread that polls every port's link state at a short interval, and the device
// removal (RMV) callback. Link state is polled, not taken from LSC interrupts: drivers that
// advertise LSC may deliver the event late or never (net_tap), and with LSC on DPDK answers
// link queries from the last event's cache (see port.cc).
#pragma once

#include <pthread.h>

#include <atomic>
#include <functional>

#include "group.h"

namespace vhost_failover {

class LinkMonitor {
 public:
  using ForEachGroup = std::function<void(const std::function<void(Group &)> &)>;

  std::string start(unsigned interval_us, ForEachGroup for_each_group);
  void stop();

  static void watch(Group &group);    // registers the group's ports' removal callbacks
  static void unwatch(Group &group);  // unregisters them, waiting out a running callback
  static void watch_port(Group &group, uint16_t port_id);
  static void unwatch_port(Group &group, uint16_t port_id);

  // Fault injection for labs without a device that raises RMV (no virtual one does): runs the
  // removal callback for the group's primary on the EAL interrupt thread, where DPDK delivers a
  // real one. Returns an error text or "".
  static std::string inject_primary_removal(Group &group);

 private:
  static void *run(void *self);
  pthread_t thread_{};
  bool started_ = false;
  std::atomic<bool> stop_requested_{false};
  unsigned interval_us_ = 1000;
  ForEachGroup for_each_group_;
};

}  // namespace vhost_failover
