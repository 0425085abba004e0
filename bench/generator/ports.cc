#include "ports.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>

namespace bench_generator {

// Deep enough to ride out a few hundred microseconds of the other end being descheduled.
constexpr uint16_t kRingSize = 1024;

std::string start_ports(uint16_t count, rte_mempool *pool) {
  for (uint16_t port = 0; port < count; port++) {
    rte_eth_conf conf{};
    int rc = rte_eth_dev_configure(port, 1, 1, &conf);
    if (rc == 0) rc = rte_eth_rx_queue_setup(port, 0, kRingSize, rte_socket_id(), nullptr, pool);
    if (rc == 0) rc = rte_eth_tx_queue_setup(port, 0, kRingSize, rte_socket_id(), nullptr);
    if (rc == 0) rc = rte_eth_dev_start(port);
    if (rc != 0) return "port " + std::to_string(port) + ": " + rte_strerror(-rc);
    // Frames for the guest's MAC arrive on the network port; not every driver filters, and
    // those that do are told to let everything through.
    rte_eth_promiscuous_enable(port);
  }
  return "";
}

std::string wait_for_links(uint16_t count, unsigned timeout_ms) {
  const uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * timeout_ms / 1000;
  std::string out;
  for (;;) {
    bool all_up = true;
    out = "{\"links\":[";
    for (uint16_t port = 0; port < count; port++) {
      rte_eth_link link{};
      rte_eth_link_get_nowait(port, &link);
      all_up = all_up && link.link_status == RTE_ETH_LINK_UP;
      out += (port ? ",{\"port\":" : "{\"port\":") + std::to_string(port) +
             ",\"up\":" + (link.link_status == RTE_ETH_LINK_UP ? "true}" : "false}");
    }
    out += "]}";
    if (all_up || rte_get_timer_cycles() > deadline) return out;
    rte_delay_ms(10);
  }
}

void stop_ports(uint16_t count) {
  for (uint16_t port = 0; port < count; port++) {
    rte_eth_dev_stop(port);
    rte_eth_dev_close(port);
  }
}

}  // namespace bench_generator
