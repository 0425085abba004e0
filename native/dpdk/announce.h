// Announcing the guest's MAC on the path that has just become active, as QEMU does after a
// live migration: a RARP broadcast whose source is the guest's MAC makes every switch on the
// way relearn where the guest is.
#pragma once

#include "group.h"

namespace vf {

// Worker only: sends one RARP for the group on its transmit path if one was requested.
void send_requested_announcement(Group &group, Counters &counters);

}  // namespace vf
