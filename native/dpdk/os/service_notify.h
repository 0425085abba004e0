// The service manager's notification protocol (sd_notify): a datagram of "KEY=value" lines to
// the unix socket $NOTIFY_SOCKET names, for readiness, status, the watchdog and stopping. Plain
// sockets, so the daemon needs no libsystemd; Node's dgram module has no unix datagrams.
#pragma once

#include <string>

namespace vhost_failover {

// Sends `state` (e.g. "READY=1\nSTATUS=2 groups"). False when there is no service manager to
// tell ($NOTIFY_SOCKET unset) or the send failed.
bool notify_service(const std::string &state);

}  // namespace vhost_failover
