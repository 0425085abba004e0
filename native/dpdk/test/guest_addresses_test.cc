// Learning the guest's IPv4 addresses from its own ARP frames, and reporting them.
#include "hot/guest_addresses.h"

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>

#include "check.h"
#include "hot/announce_frames.h"
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

// An ARP request from `mac` for `target`, sent by the guest or received from the network.
static void arp_request(vhfo::GuestAddresses &table, const rte_ether_addr &mac, uint32_t sender,
                        uint32_t target, bool from_network = false) {
  TestMbuf m;
  vhfo::build_garp(&m.mbuf, mac, sender, 0);
  rte_pktmbuf_mtod_offset(&m.mbuf, rte_arp_hdr *, sizeof(rte_ether_hdr))->arp_data.arp_tip = target;
  rte_mbuf *frame = &m.mbuf;
  if (from_network)
    vhfo::note_network_claims(table, kGuest, &frame, 1);
  else
    vhfo::learn_guest_addresses(table, kGuest, &frame, 1);
}

static bool announced(const vhfo::GuestAddresses &table, const char *address) {
  for (const auto &entry : vhfo::report_guest_addresses(table, rte_rdtsc(), 1000000000))
    if (entry.address == address) return entry.announced;
  return false;
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

TEST("never learns an address no station may claim: 0/8, loopback, multicast, 240/4, broadcast") {
  vhfo::GuestAddresses table;
  table.max_age_tsc = UINT64_MAX;
  for (uint32_t address : {ipv4(0, 1, 2, 3), ipv4(127, 0, 0, 1), ipv4(224, 0, 0, 251),
                           ipv4(239, 1, 1, 1), ipv4(240, 0, 0, 1), ipv4(255, 255, 255, 255)})
    send_arp(table, kGuest, address);
  CHECK_EQ(learned(table), 0);
  send_arp(table, kGuest, ipv4(223, 255, 255, 254));
  CHECK_EQ(learned(table), 1);
}

TEST("ignores the guest's ARP sent from another Ethernet source (spoofCheck off, a bridged host)") {
  vhfo::GuestAddresses table;
  table.max_age_tsc = UINT64_MAX;
  TestMbuf m;
  vhfo::build_garp(&m.mbuf, kGuest, ipv4(198, 18, 0, 2), 0);
  rte_ether_addr_copy(&kOther, &rte_pktmbuf_mtod(&m.mbuf, rte_ether_hdr *)->src_addr);
  rte_mbuf *frame = &m.mbuf;
  vhfo::learn_guest_addresses(table, kGuest, &frame, 1);
  CHECK_EQ(learned(table), 0);
}

TEST("a gateway the guest asks for is never announced, whichever came first, claim or question") {
  const uint32_t gateway = ipv4(198, 18, 0, 1), own = ipv4(198, 18, 0, 2);
  vhfo::GuestAddresses asked_first;
  asked_first.max_age_tsc = UINT64_MAX;
  arp_request(asked_first, kGuest, own, gateway);  // who has the gateway? tell 198.18.0.2
  send_arp(asked_first, kGuest, gateway);          // then a GARP poisoning the gateway's address
  CHECK(announced(asked_first, "198.18.0.2"));
  CHECK(!announced(asked_first, "198.18.0.1"));
  vhfo::GuestAddresses claimed_first;
  claimed_first.max_age_tsc = UINT64_MAX;
  send_arp(claimed_first, kGuest, gateway);
  CHECK(announced(claimed_first, "198.18.0.1"));
  arp_request(claimed_first, kGuest, own, gateway);
  CHECK(!announced(claimed_first, "198.18.0.1"));
  CHECK(announced(claimed_first, "198.18.0.2"));
}

TEST("a probe (sender 0.0.0.0) for the guest's own address does not disown it") {
  vhfo::GuestAddresses table;
  table.max_age_tsc = UINT64_MAX;
  arp_request(table, kGuest, 0, ipv4(198, 18, 0, 2));
  send_arp(table, kGuest, ipv4(198, 18, 0, 2));
  CHECK(announced(table, "198.18.0.2"));
}

TEST("another station's claim on the network stops the announcement, before or after the guest's") {
  const uint32_t gateway = ipv4(198, 18, 0, 1), own = ipv4(198, 18, 0, 2);
  vhfo::GuestAddresses table;
  table.max_age_tsc = UINT64_MAX;
  send_arp(table, kGuest, gateway);
  send_arp(table, kGuest, own);
  arp_request(table, kGuest, own, ipv4(198, 18, 0, 3), true);  // the guest's frame come back
  CHECK(announced(table, "198.18.0.2"));
  arp_request(table, kOther, gateway, own, true);  // the real gateway asks for the guest
  CHECK(!announced(table, "198.18.0.1"));
  CHECK(announced(table, "198.18.0.2"));
  send_arp(table, kGuest, gateway);  // claiming it again does not win it back
  CHECK(!announced(table, "198.18.0.1"));
  vhfo::GuestAddresses replied;  // the gateway asks first, the guest answers for it
  replied.max_age_tsc = UINT64_MAX;
  arp_request(replied, kOther, gateway, gateway, true);
  send_arp(replied, kGuest, gateway);
  CHECK_EQ(learned(replied), 1);
  CHECK(!announced(replied, "198.18.0.1"));
  vhfo::GuestAddresses off;  // max age 0: learning off, nothing noted either
  arp_request(off, kOther, gateway, own, true);
  CHECK_EQ(off.claimed_by_others.key[0].load(), 0u);
}

TEST("another station's claim ages out after the max age, as the guest's does") {
  vhfo::GuestAddresses table;
  table.max_age_tsc = 1000;
  send_arp(table, kGuest, ipv4(10, 0, 0, 1));
  const uint64_t claimed = table.last_seen_tsc[0].load();
  table.claimed_by_others.remember(table.key[0].load(), claimed);
  CHECK(!table.fresh(0, claimed + 10));
  table.last_seen_tsc[0] = claimed + 5000;  // the guest claims it again, much later
  CHECK(table.fresh(0, claimed + 5000));
}

TEST("a gateway's claim outlives the ARP of 31 other hosts") {
  vhfo::GuestAddresses table;
  table.max_age_tsc = UINT64_MAX;
  arp_request(table, kOther, ipv4(198, 18, 0, 1), ipv4(198, 18, 0, 2), true);
  for (uint8_t host = 10; host < 10 + 31; host++)
    arp_request(table, kOther, ipv4(198, 18, 0, host), ipv4(198, 18, 0, 2), true);
  send_arp(table, kGuest, ipv4(198, 18, 0, 1));
  CHECK(!announced(table, "198.18.0.1"));
  arp_request(table, kOther, ipv4(198, 18, 0, 99), ipv4(198, 18, 0, 2), true);  // the 32nd
  CHECK(announced(table, "198.18.0.1"));
}
