// The announcement frames, byte by byte, as a switch or a host parses them.
#include "hot/announce_frames.h"

#include <rte_arp.h>
#include <rte_byteorder.h>

#include "check.h"
#include "test_mbuf.h"

using native_test::TestMbuf;
namespace vhfo = vhost_failover;

static const rte_ether_addr kGuest = {{0x52, 0x54, 0x00, 0x00, 0x0f, 0x01}};

static uint16_t be16_at(const uint8_t *p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

static bool is_broadcast_from_guest(const uint8_t *frame) {
  for (int i = 0; i < 6; i++)
    if (frame[i] != 0xff || frame[6 + i] != kGuest.addr_bytes[i]) return false;
  return true;
}

TEST("a RARP is a 60-byte broadcast 'request reverse' for the guest's own MAC") {
  TestMbuf m;
  CHECK(vhfo::build_rarp(&m.mbuf, kGuest));
  CHECK_EQ(m.length(), 60);
  CHECK(is_broadcast_from_guest(m.data()));
  CHECK_EQ(be16_at(m.data() + 12), 0x8035);
  const auto *rarp = reinterpret_cast<const rte_arp_hdr *>(m.data() + 14);
  CHECK_EQ(rte_be_to_cpu_16(rarp->arp_opcode), 3);
  CHECK(rte_is_same_ether_addr(&rarp->arp_data.arp_sha, &kGuest));
  CHECK(rte_is_same_ether_addr(&rarp->arp_data.arp_tha, &kGuest));
  CHECK_EQ(rarp->arp_data.arp_sip, 0u);
}

TEST("an untagged GARP asks who-has A tell A from the guest's MAC") {
  TestMbuf m;
  const uint32_t address = rte_cpu_to_be_32(0xc6120002);  // 198.18.0.2
  CHECK(vhfo::build_garp(&m.mbuf, kGuest, address, 0));
  CHECK_EQ(m.length(), 60);
  CHECK(is_broadcast_from_guest(m.data()));
  CHECK_EQ(be16_at(m.data() + 12), RTE_ETHER_TYPE_ARP);
  const auto *arp = reinterpret_cast<const rte_arp_hdr *>(m.data() + 14);
  CHECK_EQ(rte_be_to_cpu_16(arp->arp_opcode), RTE_ARP_OP_REQUEST);
  CHECK_EQ(rte_be_to_cpu_16(arp->arp_hardware), RTE_ARP_HRD_ETHER);
  CHECK_EQ(rte_be_to_cpu_16(arp->arp_protocol), RTE_ETHER_TYPE_IPV4);
  CHECK_EQ(arp->arp_data.arp_sip, address);
  CHECK_EQ(arp->arp_data.arp_tip, address);
  CHECK(rte_is_same_ether_addr(&arp->arp_data.arp_sha, &kGuest));
}

TEST("a GARP in a VLAN carries one 802.1Q tag with that VLAN") {
  TestMbuf m;
  CHECK(vhfo::build_garp(&m.mbuf, kGuest, rte_cpu_to_be_32(0x0a000001), 100));
  CHECK_EQ(m.length(), 60);
  CHECK_EQ(be16_at(m.data() + 12), RTE_ETHER_TYPE_VLAN);
  CHECK_EQ(be16_at(m.data() + 14) & 0x0fff, 100);
  CHECK_EQ(be16_at(m.data() + 16), RTE_ETHER_TYPE_ARP);
  const auto *arp = reinterpret_cast<const rte_arp_hdr *>(m.data() + 18);
  CHECK_EQ(rte_be_to_cpu_16(arp->arp_opcode), RTE_ARP_OP_REQUEST);
}

TEST("a frame that does not fit is refused, not written past the buffer") {
  TestMbuf m;
  m.mbuf.buf_len = RTE_PKTMBUF_HEADROOM + 40;
  CHECK(!vhfo::build_rarp(&m.mbuf, kGuest));
  CHECK_EQ(m.length(), 0);
}
