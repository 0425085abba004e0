// Announcing the guest on the path that has just become active: a RARP broadcast from the
// guest's MAC, as QEMU sends after a live migration, makes every switch on the way relearn where
// the guest is; a gratuitous ARP for each IPv4 address the guest recently used makes routers and
// hosts refresh their ARP caches.
#pragma once

#include "hot/group.h"

namespace vhost_failover {

// Worker only: sends one round (RARP + GARPs) on the group's transmit path if one was requested.
void send_requested_announcement(Group &group, Counters &counters);

}  // namespace vhost_failover
