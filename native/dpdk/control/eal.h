// EAL lifetime and the one packet-buffer pool every port of the process shares.
#pragma once

#include <string>
#include <vector>

struct rte_mempool;

namespace vhost_failover {

// Initialises DPDK's EAL from argv-style arguments. Returns an error text, empty on success.
std::string eal_init(const std::vector<std::string> &args);
void eal_cleanup();

// Sized for the MTU: a frame of mtu bytes plus Ethernet header, VLAN tag and CRC fits one mbuf.
rte_mempool *mbuf_pool_create(unsigned mbufs, unsigned mtu, std::string *error);

}  // namespace vhost_failover
