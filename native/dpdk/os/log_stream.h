// DPDK's own log lines go to the daemon's logger, not to stderr and syslog: EAL writes them to a
// stream made here, which hands each line with its level to a sink (the addon forwards it to
// JavaScript, where it becomes a JSON line like every other).
#pragma once

#include <functional>
#include <string>

namespace vhost_failover {

// level: DPDK's (RTE_LOG_EMERG 1 .. RTE_LOG_DEBUG 8). Called on whichever thread logged.
using LogSink = std::function<void(int level, std::string &&line)>;

// Points DPDK's log stream at `sink`; call before EAL starts, so its first lines go there too.
// Returns an error text or "".
std::string log_stream_open(LogSink sink);

}  // namespace vhost_failover
