// The per-burst forwarding of one group; the only code that touches packets.
#pragma once

#include "group.h"

namespace vf {

constexpr uint16_t kBurst = 32;

// One pass over a group's three ports. Returns how many frames it moved (for idle back-off).
unsigned poll_group(Group &group);

}  // namespace vf
