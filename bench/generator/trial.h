// One trial: a fixed number of frames offered at a fixed rate on the sending ports, everything
// the ports receive accounted, then a bounded drain. The only code that touches packets.
#pragma once

#include <rte_mempool.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "frames.h"

namespace bench_generator {

struct TrialSpec {
  uint16_t id = 0;
  double rate_pps = 0;  // per sending port
  double seconds = 0;
  std::vector<uint16_t> sizes;  // the size sequence, repeated (see size_sequence)
  std::vector<uint16_t> tx_ports;
  unsigned drain_ms = 200;
};

// Runs the trial on ports 0..addresses.size()-1 and returns its result as one line of JSON.
std::string run_trial(const TrialSpec &spec, const std::vector<PortAddresses> &addresses,
                      rte_mempool *pool);

}  // namespace bench_generator
