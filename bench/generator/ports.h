// The generator's ports: every probed port with one queue pair, started, and its link state.
#pragma once

#include <rte_mempool.h>
#include <stdint.h>

#include <string>

namespace bench_generator {

// Configures and starts ports 0..count-1 on `pool`; returns an error message or "".
std::string start_ports(uint16_t count, rte_mempool *pool);

// Waits (bounded) until every port's link is up; {"links":[{"port":0,"up":true},...]}.
std::string wait_for_links(uint16_t count, unsigned timeout_ms);

void stop_ports(uint16_t count);

}  // namespace bench_generator
