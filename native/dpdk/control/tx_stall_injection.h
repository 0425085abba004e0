// Fault injection (labs): a port that takes no frame, as an SR-IOV VF whose queues a PF reset
// left disabled does (its ring fills and never empties). An ethdev tx callback on each queue
// passes none of a burst on to the driver, so rte_eth_tx_burst refuses it all. It lasts until
// removed, which the port's reset or release does first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct rte_eth_rxtx_callback;

namespace vhost_failover {

using TxCallbacks = std::vector<const rte_eth_rxtx_callback *>;

// Error text or ""; *installed holds the callbacks added.
std::string tx_stall_inject(uint16_t port_id, uint16_t queues, TxCallbacks *installed);

// Call only once no worker can be in a burst on the port (quiesced): the callbacks are freed.
void tx_stall_remove(uint16_t port_id, TxCallbacks *installed);

}  // namespace vhost_failover
