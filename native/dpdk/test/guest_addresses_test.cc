// Learning the guest's IPv4 addresses from its own ARP frames, and reporting them.
#include "../guest_addresses.h"

#include <rte_byteorder.h>
#include <rte_cycles.h>

#include "../announce_frames.h"
#include "check.h"
#include "test_mbuf.h"

using native_test::TestMbuf;
namespace vhfo = vhost_failover;

static const rte_ether_addr kGuest = {{0x52, 0x54, 0x00, 0x00, 0x0f, 0x01}};
static const rte_ether_addr kOther = {{0x52, 0x54, 0x00, 0x00, 0x0f, 0x99}};

static uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return rte_cpu_to_be_32(static_cast<uint32_t>(a) << 24 | b << 16 | c << 8 | d);
}

// An ARP request from `mac` claiming `address` (a GARP has the shape of any ARP request).
static void send_arp(vhfo::GuestAddresses &table, const rte_ether_addr &mac, uint32_t address,
                     uint16_t vlan = 0) {
  TestMbuf m;
  vhfo::build_garp(&m.mbuf, mac, address, vlan);
  rte_mbuf *frame = &m.mbuf;
  vhfo::learn_guest_addresses(table, kGuest, &frame, 1);
}

static int learned(const vhfo::GuestAddresses &table) {
  int count = 0;
  for (int slot = 0; slot < vhfo::GuestAddresses::kSlots; slot++)
    count += table.key[slot].load() != 0;
  return count;
}

TEST("learns the sender address of the guest's own ARP, untagged and in a VLAN") {
  vhfo::GuestAddresses table;
  table.max_age_tsc = UINT64_MAX;
  send_arp(table, kGuest, ipv4(198, 18, 0, 2));
  send_arp(table, kGuest, ipv4(10, 0, 0, 7), 100);
  send_arp(table, kGuest, ipv4(198, 18, 0, 2));  // seen again: the same slot
  CHECK_EQ(learned(table), 2);
  const auto report = vhfo::report_guest_addresses(table, rte_rdtsc(), 1000000000);
  CHECK_EQ(report.size(), 2u);
  CHECK(report[0].address == "198.18.0.2");  // newest first
  CHECK_EQ(report[0].vlan, 0);
  CHECK(report[1].address == "10.0.0.7");
  CHECK_EQ(report[1].vlan, 100);
  CHECK(report[0].announced);
}

TEST("ignores ARP from other MACs, address probes (0.0.0.0), non-ARP and truncated frames") {
  vhfo::GuestAddresses table;
  table.max_age_tsc = UINT64_MAX;
  send_arp(table, kOther, ipv4(198, 18, 0, 9));
  send_arp(table, kGuest, 0);
  TestMbuf ipv4_frame;
  ipv4_frame.frame({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0, 0x0f, 1, 0x08, 0x00});
  rte_mbuf *frame = &ipv4_frame.mbuf;
  vhfo::learn_guest_addresses(table, kGuest, &frame, 1);
  TestMbuf truncated;
  vhfo::build_garp(&truncated.mbuf, kGuest, ipv4(1, 2, 3, 4), 0);
  truncated.mbuf.data_len = truncated.mbuf.pkt_len = 20;  // Ethernet header and a bit of ARP
  frame = &truncated.mbuf;
  vhfo::learn_guest_addresses(table, kGuest, &frame, 1);
  TestMbuf short_tag;
  short_tag.frame({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0, 0x0f, 1, 0x81, 0x00});
  frame = &short_tag.mbuf;
  vhfo::learn_guest_addresses(table, kGuest, &frame, 1);
  CHECK_EQ(learned(table), 0);
}

TEST("learns nothing when GARPs are off (max age 0)") {
  vhfo::GuestAddresses table;
  send_arp(table, kGuest, ipv4(198, 18, 0, 2));
  CHECK_EQ(learned(table), 0);
}

TEST("a full table replaces its stalest address") {
  vhfo::GuestAddresses table;
  table.max_age_tsc = UINT64_MAX;
  for (uint8_t i = 1; i <= vhfo::GuestAddresses::kSlots + 1; i++)
    send_arp(table, kGuest, ipv4(10, 0, 0, i));
  CHECK_EQ(learned(table), vhfo::GuestAddresses::kSlots);
  const auto report = vhfo::report_guest_addresses(table, rte_rdtsc(), 1000000000);
  CHECK(report.front().address == "10.0.0.9");
  for (const auto &entry : report) CHECK(entry.address != "10.0.0.1");
}

TEST("an address older than the max age is reported but not announced") {
  vhfo::GuestAddresses table;
  table.max_age_tsc = 1000;
  send_arp(table, kGuest, ipv4(198, 18, 0, 2));
  const uint64_t later = table.last_seen_tsc[0].load() + 5000;
  const auto report = vhfo::report_guest_addresses(table, later, 1000000);
  CHECK_EQ(report.size(), 1u);
  CHECK(!report[0].announced);
  CHECK_EQ(report[0].last_seen_ms_ago, 5u);
  CHECK(!table.fresh(0, later));
}

TEST("formats addresses in network byte order as dotted quads") {
  CHECK(vhfo::format_ipv4(ipv4(255, 0, 10, 1)) == "255.0.10.1");
}
