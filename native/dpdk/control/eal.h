// EAL lifetime.
#pragma once

#include <string>
#include <vector>

namespace vhost_failover {

// Initialises DPDK's EAL from argv-style arguments. Returns an error text, empty on success.
std::string eal_init(const std::vector<std::string> &args);
void eal_cleanup();

}  // namespace vhost_failover
