// What a guest may send: runts, oversize frames and spoofed sources are dropped and counted,
// and the rest keep their order.
#include "hot/guest_frames.h"

#include "check.h"
#include "test_mbuf.h"

using native_test::TestMbuf;
namespace vhfo = vhost_failover;

static const rte_ether_addr kGuest = {{0x52, 0x54, 0x00, 0x00, 0x0f, 0x01}};

static vhfo::GuestFrameRules rules(bool spoof_check = true) {
  vhfo::GuestFrameRules out;
  out.max_frame_bytes = 1518;
  out.spoof_check = spoof_check;
  out.mac = kGuest;
  return out;
}

// A broadcast frame of `length` bytes from `source`.
static void fill(TestMbuf &m, const rte_ether_addr &source, uint16_t length) {
  m.frame({});
  auto *data = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(&m.mbuf, length));
  memset(data, 0xff, 6);
  memcpy(data + 6, source.addr_bytes, 6);
}

TEST("a frame from the guest's MAC within the MTU passes") {
  TestMbuf m;
  fill(m, kGuest, 60);
  CHECK(vhfo::guest_frame_fault(rules(), &m.mbuf) == nullptr);
  fill(m, kGuest, 1518);  // 1500 bytes of payload in one 802.1Q tag
  CHECK(vhfo::guest_frame_fault(rules(), &m.mbuf) == nullptr);
}

TEST("a frame shorter than an Ethernet header is a runt") {
  TestMbuf m;
  fill(m, kGuest, 13);
  CHECK(vhfo::guest_frame_fault(rules(), &m.mbuf) == &vhfo::Counters::tx_dropped_runt);
}

TEST("a frame longer than the MTU allows is oversize, whatever its segments") {
  TestMbuf m;
  fill(m, kGuest, 1519);
  CHECK(vhfo::guest_frame_fault(rules(), &m.mbuf) == &vhfo::Counters::tx_dropped_oversize);
  fill(m, kGuest, 1000);
  m.mbuf.pkt_len = 6144;  // a chain: the first segment holds 1000 of 6144 bytes
  m.mbuf.nb_segs = 3;
  CHECK(vhfo::guest_frame_fault(rules(), &m.mbuf) == &vhfo::Counters::tx_dropped_oversize);
}

TEST("a foreign source MAC is spoofed unless the group lets the guest route or bridge") {
  TestMbuf m;
  const rte_ether_addr other = {{0x52, 0x54, 0x00, 0x00, 0x0f, 0x02}};
  fill(m, other, 60);
  CHECK(vhfo::guest_frame_fault(rules(true), &m.mbuf) == &vhfo::Counters::tx_dropped_spoofed);
  CHECK(vhfo::guest_frame_fault(rules(false), &m.mbuf) == nullptr);
}

TEST("a burst keeps its good frames in order and frees and counts the others by reason") {
  TestMbuf frames[5];
  const rte_ether_addr other = {{0x02, 0, 0, 0, 0, 9}};
  fill(frames[0], kGuest, 60);
  fill(frames[1], other, 60);
  fill(frames[2], kGuest, 100);
  fill(frames[3], kGuest, 9);
  fill(frames[4], kGuest, 2000);
  rte_mbuf *burst[5];
  for (int i = 0; i < 5; i++) {
    burst[i] = &frames[i].mbuf;
    // Two references: freeing drops one and never reaches a mempool these mbufs lack.
    rte_mbuf_refcnt_set(burst[i], 2);
  }
  vhfo::Counters counters{};
  const uint16_t kept = vhfo::drop_forbidden_frames(rules(), burst, 5, counters);
  CHECK_EQ(kept, 2);
  CHECK(burst[0] == &frames[0].mbuf);
  CHECK(burst[1] == &frames[2].mbuf);
  CHECK_EQ(counters.tx_dropped_spoofed, 1u);
  CHECK_EQ(counters.tx_dropped_runt, 1u);
  CHECK_EQ(counters.tx_dropped_oversize, 1u);
  for (int dropped : {1, 3, 4}) CHECK_EQ(rte_mbuf_refcnt_read(&frames[dropped].mbuf), 1);
  CHECK_EQ(rte_mbuf_refcnt_read(&frames[0].mbuf), 2);
}
