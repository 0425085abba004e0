// The frames a port sends: one Ethernet/IPv4/UDP header per port, written into each mbuf with
// the stamp; the payload past the stamp is left as the mbuf held it (nobody reads it).
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "stamp.h"

namespace bench_generator {

// RFC 2544 frame sizes count the FCS, which a NIC appends; software ports carry none.
constexpr uint16_t kFcsBytes = 4;

struct FrameHeader {
  uint8_t bytes[kStampOffset];
};

FrameHeader frame_header(const rte_ether_addr &src, const rte_ether_addr &dst, uint16_t tx_port);

// Writes a frame of `frame_bytes` (with FCS) into `m`: the header, its IPv4/UDP lengths and
// checksum for that size, and the stamp.
void write_frame(rte_mbuf *m, const FrameHeader &header, uint16_t frame_bytes, const Stamp &stamp);

// The order frame sizes are sent in: "64" is 64 B only; "64x7,570x4,1518x1" (the simple IMIX)
// interleaves the sizes by their weights so every 12 frames hold 7, 4 and 1. Empty on a bad spec.
std::vector<uint16_t> size_sequence(const std::string &spec);

}  // namespace bench_generator
