// An mbuf on the stack or heap, without EAL or a mempool: enough for the pure helpers, which only
// read and append to one segment.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>

namespace native_test {

struct TestMbuf {
  rte_mbuf mbuf;
  alignas(64) uint8_t room[RTE_PKTMBUF_HEADROOM + 2048];

  TestMbuf() {
    memset(&mbuf, 0, sizeof(mbuf));
    mbuf.buf_addr = room;
    mbuf.buf_len = sizeof(room);
    mbuf.data_off = RTE_PKTMBUF_HEADROOM;
    mbuf.nb_segs = 1;
    rte_mbuf_refcnt_set(&mbuf, 1);
  }

  // Replaces the frame with these bytes.
  TestMbuf &frame(std::initializer_list<uint8_t> bytes) {
    mbuf.data_len = 0;
    mbuf.pkt_len = 0;
    auto *out = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(&mbuf, bytes.size()));
    for (uint8_t byte : bytes) *out++ = byte;
    return *this;
  }

  const uint8_t *data() const { return rte_pktmbuf_mtod(&mbuf, const uint8_t *); }
  uint16_t length() const { return rte_pktmbuf_data_len(&mbuf); }
};

}  // namespace native_test
