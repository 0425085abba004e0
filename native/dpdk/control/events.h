// Events native code reports to the control plane (link changes, guest connect, path switches).
// Produced on control threads (monitor, interrupt thread), never on a worker lcore.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace vhost_failover {

// kSwitchGap: the worker measured the gap of a switch (last frame on the old path to the first
// on the new), reported by the monitor once per switch. kPrimaryFault: native code took the
// primary out of service (its transmit stalled, or its driver asked for a reset); it carries
// traffic again only after the control plane has reset or re-probed it (reset_primary).
enum class EventType : uint8_t {
  kLink,
  kGuest,
  kRemoved,
  kPathSwitched,
  kSwitchGap,
  kPrimaryFault
};

// Why the transmitting path changed. The control plane turns it into a metric label; the prose
// reason travels beside it for logs and status only. kSwitchCauseNames is the one spelling both
// sides use (the addon exports it; a unit test holds the TypeScript union to it).
enum class SwitchCause : uint8_t {
  kLinkUp,     // an uplink's link came up (e.g. the standby, with no path before)
  kLinkDown,   // an uplink's link went down, or the worker found the primary dead on a send
  kRemoved,    // surprise removal of an uplink (RMV, or the kernel's request to release it)
  kTxStalled,  // the primary's link reads up but its transmit makes no progress (tx_progress.h)
  kReset,      // the primary's driver asked for a reset (RTE_ETH_EVENT_INTR_RESET: a PF reset)
  kDetached,   // the operator detached the primary (planned)
  kOperator,   // an operator command decided (switch primary|standby|auto)
  kPolicy,     // the failover policy decided (bring-up, failback)
};
constexpr const char *kSwitchCauseNames[] = {"link-up", "link-down", "removed",  "tx-stalled",
                                             "reset",   "detached",  "operator", "policy"};
constexpr int kSwitchCauses = sizeof(kSwitchCauseNames) / sizeof(kSwitchCauseNames[0]);

inline const char *switch_cause_name(SwitchCause cause) {
  return kSwitchCauseNames[static_cast<int>(cause)];
}

struct Event {
  EventType type = EventType::kLink;
  std::string group;
  std::string port;  // "primary" | "standby" | "vhost" (link, guest, removed)
  bool up = false;   // link and guest events
  std::string from;  // pathSwitched: "primary" | "standby" | "none"
  std::string to;
  SwitchCause cause = SwitchCause::kPolicy;  // pathSwitched; primaryFault: kTxStalled or kReset
  std::string reason;                        // why, in words, for logs and status
  int port_id = -1;                          // removed: the ethdev that went away
  double gap_us = 0;                         // switchGap
  uint64_t at_ns = 0;  // CLOCK_MONOTONIC, comparable with Node's process.hrtime.bigint()
};

using EventSink = std::function<void(Event &&)>;

uint64_t monotonic_ns();

}  // namespace vhost_failover
