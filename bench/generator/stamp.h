// What the generator writes into each frame it sends and reads back from each frame it receives:
// the only contract between the two ends of a trial.
#pragma once

#include <stdint.h>

namespace bench_generator {

// The UDP destination port that marks a generator frame; anything else received is foreign
// (a switch's own announcements, for instance) and is counted apart.
constexpr uint16_t kStampUdpPort = 0x5646;

// Right after the UDP header. 16 bytes, so a 64-byte frame (60 without its FCS) holds
// Ethernet (14) + IPv4 (20) + UDP (8) + the stamp.
struct __attribute__((packed)) Stamp {
  uint64_t tx_tsc;   // TSC when its burst was handed to the port
  uint32_t seq;      // per sending port, from 0 in each trial
  uint16_t trial;    // frames of an earlier trial arriving late are stale, not received
  uint16_t tx_port;  // the port that sent it
};

constexpr uint16_t kStampOffset = 14 + 20 + 8;
static_assert(kStampOffset + sizeof(Stamp) <= 60, "the stamp fits a 64-byte frame");

}  // namespace bench_generator
