// The control operations on an uplink's device, whichever its kind (hot/group.h): an ethdev
// port's through control/port.h, a tap's through os/tap_device.h. The caller holds the uplink's
// call lock where a port's call needs it.
#pragma once

#include <cstdint>
#include <string>

#include "control/group_report.h"
#include "control/port.h"
#include "hot/group.h"

namespace vhost_failover {

// The uplink's kind by its devargs: "tap:NAME" is a tap the daemon makes, anything else an
// ethdev's devargs.
UplinkKind uplink_kind_of(const std::string &devargs);

// Makes the tap of a kTap uplink (devargs "tap:NAME") with the setup's queues, MTU and MAC
// (MacMode::kSet: the guest's; otherwise the kernel's own). Error text or "".
std::string uplink_open_tap(Uplink &uplink, const std::string &devargs, const PortSetup &setup);

// Closes a kTap uplink's fds, which removes its tap; nothing for an ethdev's.
void uplink_close_tap(Uplink &uplink, uint16_t queues);

// The link as the device reads it now: the driver's, or the kernel's for a tap.
bool uplink_link_up(const Uplink &uplink);

// The device's own counters (the driver's, or a tap's as tap_io.h keeps them); not present if
// there are none.
PortStatsReport uplink_device_stats(const Uplink &uplink, uint16_t queues);

// "ethdev" or "tap", for status.
const char *uplink_kind_name(UplinkKind kind);

}  // namespace vhost_failover
