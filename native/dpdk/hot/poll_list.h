// What one worker polls: a list of group queues. Published whole by the control plane (worker.h)
// and read by the worker's loop and its idle wait (rx_waiter.h).
#pragma once

#include <cstdint>
#include <vector>

#include "hot/group.h"

namespace vhost_failover {

// Queue `queue` of a group's three ports: what one worker polls of a group with several queues.
struct PollUnit {
  Group *group;
  uint16_t queue;
};

struct GroupList {
  std::vector<PollUnit> units;
};

}  // namespace vhost_failover
