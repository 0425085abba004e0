// The control thread that keeps every group's link, presence and guest state current, and the
// device removal (RMV) callback. It sleeps until something says a link may have changed: an LSC
// event (iavf), a kernel link notification (taps and other kernel-backed ports), a guest coming
// or leaving (vhost_user.cc), or the worker that found the primary dead on a refused send. Only
// ports whose driver can tell nothing (link_source.h) are polled, at the configured interval; every
// port is read once a second as well, in case an event was lost. Links are read from the driver,
// never from an LSC cache (see port.cc).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>

#include "control/dpdk_compat.h"
#include "control/link_source.h"
#include "hot/group.h"
#include "hot/wakeup.h"
#include "os/netlink_links.h"

namespace vhost_failover {

// How a device's removal reaches the daemon: ethdev's RMV event (drivers that raise it), or a
// device event (RTE_DEV_EVENT_REMOVE), which DPDK raises for the kernel's request to release a
// vfio device (an SR-IOV VF whose PF lowers sriov_numvfs) and for a PCI device's removal uevent.
enum class RemovalSignal : uint8_t { kEthdevRmv, kDeviceEvent };

class LinkMonitor {
 public:
  using ForEachGroup = std::function<void(const std::function<void(Group &)> &)>;

  std::string start(unsigned poll_interval_us, ForEachGroup for_each_group);
  void stop();
  Wakeup &wakeup() { return wakeup_; }

  // Arms the ports' removal and link-change callbacks, and counts the ports that must be
  // polled. unwatch waits out a callback that is running.
  void watch(Group &group);
  void unwatch(Group &group);
  void watch_port(Group &group, uint16_t port_id);
  void unwatch_port(Group &group, uint16_t port_id);

  // Fault injection for labs without a device that raises RMV (no virtual one does): runs the
  // removal callback for the group's primary on the EAL interrupt thread, where DPDK delivers a
  // real one; for kDeviceEvent through DPDK's device event dispatch, by the device's name, as
  // the vfio request does. Returns an error text or "".
  static std::string inject_primary_removal(Group &group, RemovalSignal signal);
  // Fault injection for labs without a driver that raises RTE_ETH_EVENT_INTR_RESET (no virtual
  // one does): runs the reset callback for the group's primary on the interrupt thread.
  static std::string inject_primary_reset_request(Group &group);

 private:
  static ControlThreadResult run(void *self);
  // The longest the thread may sleep now: the poll interval while a port needs polling.
  unsigned sleep_us() const;
  ControlThread thread_{};
  bool started_ = false;
  std::atomic<bool> stop_requested_{false};
  std::atomic<unsigned> polled_ports_{0};
  unsigned poll_interval_us_ = 1000;
  ForEachGroup for_each_group_;
  // How each watched port tells its link changes, and the device name its device events are
  // registered under, as found when it was watched (a removed device can no longer say). Node
  // thread only.
  struct Watched {
    LinkSource source;
    std::string device_name;
    bool primary;
  };
  std::map<uint16_t, Watched> watched_;
  Wakeup wakeup_;
  NetlinkLinks netlink_;
};

}  // namespace vhost_failover
