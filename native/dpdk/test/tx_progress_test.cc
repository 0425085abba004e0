// The monitor's transmit-progress rule (tx_progress.h): frames handed to the primary while its
// opackets does not move, for kTxStallMs, are a stall; a driver that never counts is not judged.
#include "control/tx_progress.h"

#include "check.h"

namespace vhfo = vhost_failover;

static constexpr uint64_t kMs = vhfo::kNsPerMs;

// A primary (port generation 1) whose opackets has moved once: it counts what it sends.
static vhfo::TxProgress counting_port() {
  vhfo::TxProgress progress;
  vhfo::tx_progress_stalled_ms(progress, 1, 100, 100, 0);
  vhfo::tx_progress_stalled_ms(progress, 1, 200, 200, 20 * kMs);
  return progress;
}

TEST("frames handed and opackets unmoved for the stall bound are a stall, reported once") {
  vhfo::TxProgress progress = counting_port();
  CHECK_EQ(vhfo::tx_progress_stalled_ms(progress, 1, 200, 250, 40 * kMs), 0u);  // the clock starts
  CHECK_EQ(vhfo::tx_progress_stalled_ms(progress, 1, 200, 300, 139 * kMs), 0u);
  CHECK_EQ(vhfo::tx_progress_stalled_ms(progress, 1, 200, 300, 140 * kMs), 100u);
  CHECK_EQ(vhfo::tx_progress_stalled_ms(progress, 1, 200, 300, 160 * kMs), 0u);  // starts over
}

TEST("opackets that move, or nothing handed, is no stall however long") {
  vhfo::TxProgress progress = counting_port();
  CHECK_EQ(vhfo::tx_progress_stalled_ms(progress, 1, 200, 250, 40 * kMs), 0u);
  CHECK_EQ(vhfo::tx_progress_stalled_ms(progress, 1, 201, 260, 500 * kMs), 0u);  // it sent one
  CHECK_EQ(progress.unsent_since_ns, 0u);
  CHECK_EQ(vhfo::tx_progress_stalled_ms(progress, 1, 201, 260, 5000 * kMs), 0u);  // idle
}

TEST("a port whose opackets never moved is not judged, and a new port starts unjudged") {
  vhfo::TxProgress progress;
  for (uint64_t ms = 0; ms < 1000; ms += 20)
    CHECK_EQ(vhfo::tx_progress_stalled_ms(progress, 1, 0, ms * 10, ms * kMs), 0u);
  progress = counting_port();
  CHECK(progress.wire_counted);
  CHECK_EQ(vhfo::tx_progress_stalled_ms(progress, 2, 0, 300, 40 * kMs), 0u);  // reset or re-probe
  CHECK(!progress.wire_counted);
  CHECK_EQ(vhfo::tx_progress_stalled_ms(progress, 2, 0, 400, 500 * kMs), 0u);
}
