// The per-burst forwarding of one group; the only code that touches packets.
#pragma once

#include "hot/group.h"

namespace vhost_failover {

constexpr uint16_t kBurst = 32;

// One pass over queue `queue` of a group's three ports by the worker on `lcore_id` (passed in:
// rte_lcore_id() is a TLS lookup through __tls_get_addr from inside a dlopen()ed addon). Returns
// how many frames it moved (for idle back-off).
unsigned poll_group(Group &group, uint16_t queue, unsigned lcore_id);

}  // namespace vhost_failover
