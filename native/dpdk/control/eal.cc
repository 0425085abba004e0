// Device event monitoring is experimental in DPDK 22.11 (and unchanged since).
#define ALLOW_EXPERIMENTAL_API
#include "control/eal.h"

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

namespace vhost_failover {

// Device events (link_monitor.cc's on_device_event): the kernel's uevents for PCI devices, and
// DPDK's handling of a device that goes away under it (a SIGBUS on its unmapped BARs remaps them
// instead of killing the process). The vfio request a VF's removal raises needs neither, but a
// device bound to a uio driver has only the uevent. Without them removal still reaches the
// daemon through RMV where drivers raise it: a warning, not a failure.
static void watch_device_events() {
  if (rte_dev_hotplug_handle_enable() != 0)
    RTE_LOG(WARNING, USER1, "cannot enable DPDK's device hot-unplug handling\n");
  if (rte_dev_event_monitor_start() != 0)
    RTE_LOG(WARNING, USER1,
            "cannot watch the kernel's device uevents: removals of PCI devices "
            "are heard only where their driver raises RMV or vfio asks\n");
}

std::string eal_init(const std::vector<std::string> &args) {
  // rte_eal_init keeps pointers into argv and may reorder it: give it storage that outlives it.
  static std::vector<std::string> kept;
  static std::vector<char *> argv;
  kept = args;
  argv.clear();
  for (std::string &arg : kept) argv.push_back(arg.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(kept.size()), argv.data()) < 0)
    return std::string("EAL initialisation failed: ") + rte_strerror(rte_errno);
  watch_device_events();
  return "";
}

void eal_cleanup() {
  rte_dev_event_monitor_stop();
  rte_dev_hotplug_handle_disable();
  rte_eal_cleanup();
}

}  // namespace vhost_failover
