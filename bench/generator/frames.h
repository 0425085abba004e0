// The frames a port sends: one Ethernet/IPv4/UDP header per port, written into each mbuf with
// the stamp; the payload past the stamp is left as the mbuf held it (nobody reads it).
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

#include "stamp.h"

namespace bench_generator {

// RFC 2544 frame sizes count the FCS, which a NIC appends; software ports carry none.
constexpr uint16_t kFcsBytes = 4;

// What a port's frames carry (the MACs a switch expects: a guest's own as the source, say).
struct PortAddresses {
  rte_ether_addr src;
  rte_ether_addr dst;
};

// A frame's headers, lengths and IPv4 checksum included, made once per size and port: per
// frame only the stamp is written.
struct FrameHeader {
  uint8_t bytes[kStampOffset];
  uint16_t length;  // without the FCS
};

FrameHeader frame_header(const PortAddresses &addresses, uint16_t tx_port, uint16_t frame_bytes);

inline void write_frame(rte_mbuf *m, const FrameHeader &header, const Stamp &stamp) {
  auto *data = rte_pktmbuf_mtod(m, uint8_t *);
  memcpy(data, header.bytes, kStampOffset);
  memcpy(data + kStampOffset, &stamp, sizeof stamp);
  m->data_len = header.length;
  m->pkt_len = header.length;
}

// The order frame sizes are sent in: "64" is 64 B only; "64x7,570x4,1518x1" (the simple IMIX)
// interleaves the sizes by their weights so every 12 frames hold 7, 4 and 1. Empty on a bad spec.
std::vector<uint16_t> size_sequence(const std::string &spec);

}  // namespace bench_generator
