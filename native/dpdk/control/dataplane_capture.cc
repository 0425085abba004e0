// The capture op's side of the data plane: one CaptureSession per group, started here and kept
// (ended or not) until the next capture of the group or the group's removal.
#include "control/dataplane.h"

namespace vhost_failover {

std::string Dataplane::start_capture(const std::string &name, const std::string &file,
                                     const CaptureLimits &limits) {
  std::shared_ptr<Group> group;
  {
    std::lock_guard<std::mutex> lock(groups_mutex_);
    for (const auto &candidate : groups_)
      if (candidate->name == name) group = candidate;
  }
  if (!group) return no_such_group(name);
  auto &slot = captures_[name];
  if (slot && slot->report().running)
    return "a capture of " + name + " is running (" + slot->report().file + ")";
  auto session = std::make_unique<CaptureSession>(group, limits);
  const std::string error = session->start(file, ++captures_started_);
  if (!error.empty()) return error;
  slot = std::move(session);
  return "";
}

bool Dataplane::capture_report(const std::string &name, CaptureReport *out) {
  const auto found = captures_.find(name);
  if (found == captures_.end() || !found->second) return false;
  *out = found->second->report();
  return true;
}

}  // namespace vhost_failover
