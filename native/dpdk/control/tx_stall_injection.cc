#include "control/tx_stall_injection.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

namespace vhost_failover {

static uint16_t refuse_every_frame(uint16_t, uint16_t, rte_mbuf **, uint16_t, void *) {
  return 0;
}

std::string tx_stall_inject(uint16_t port_id, uint16_t queues, TxCallbacks *installed) {
  if (!installed->empty()) return "";  // already stalled
  for (uint16_t q = 0; q < queues; q++) {
    const rte_eth_rxtx_callback *callback =
        rte_eth_add_tx_callback(port_id, q, refuse_every_frame, nullptr);
    if (!callback) {
      tx_stall_remove(port_id, installed);
      return "cannot stall port " + std::to_string(port_id) + "'s tx queue " + std::to_string(q) +
             ": " + rte_strerror(rte_errno);
    }
    installed->push_back(callback);
  }
  return "";
}

void tx_stall_remove(uint16_t port_id, TxCallbacks *installed) {
  for (size_t q = 0; q < installed->size(); q++) {
    rte_eth_remove_tx_callback(port_id, static_cast<uint16_t>(q), (*installed)[q]);
    rte_free(const_cast<rte_eth_rxtx_callback *>((*installed)[q]));
  }
  installed->clear();
}

}  // namespace vhost_failover
