// Events native code reports to the control plane (link changes, guest connect, path switches).
// Produced on control threads (monitor, interrupt thread), never on a worker lcore.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace vf {

struct Event {
  std::string type;  // "link" | "guest" | "removed" | "pathSwitched"
  std::string group;
  std::string port;  // "primary" | "standby" | "vhost" (link, guest, removed)
  bool up = false;   // link and guest events
  std::string from;  // pathSwitched: "primary" | "standby" | "none"
  std::string to;
  std::string reason;  // why, in words, for logs and status
  int port_id = -1;    // removed: the ethdev that went away
  uint64_t at_ns = 0;  // CLOCK_MONOTONIC, comparable with Node's process.hrtime.bigint()
};

using EventSink = std::function<void(Event &&)>;

uint64_t monotonic_ns();

}  // namespace vf
