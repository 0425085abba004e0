// How link, presence and eligibility changes update a group, and which events they report.
// Called from control threads only (monitor, interrupt thread, binding calls).
#pragma once

#include <string>

#include "hot/group.h"

namespace vhost_failover {

// Reads every port's link state without waiting and applies what changed. `source` says who
// looked ("poll", "start") and ends up in the event's reason. False if a port was skipped because
// another thread was in a driver call on it: read again soon.
bool link_observe(Group &group, const char *source);

// The device behind `path` was surprise-removed: never poll it again.
void link_mark_removed(Group &group, Path path);

// Native code takes the primary out of service (cause kTxStalled or kReset): not eligible until
// link_primary_restored, reported once as a primaryFault event and a path switch.
void link_primary_fault(Group &group, SwitchCause cause, const std::string &reason);
// The primary was reset or re-probed: the policy may make it eligible again.
void link_primary_restored(Group &group);

// Control plane: allow or forbid the primary. Allowing succeeds only while its link is up and it
// is in service.
// `cause` says who decided (operator, policy, a detach); `reason` says why in words.
bool link_set_primary_eligible(Group &group, bool eligible, SwitchCause cause,
                               const std::string &reason);

}  // namespace vhost_failover
