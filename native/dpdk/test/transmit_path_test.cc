// net_failover's transmit decision, per burst, and which uplinks deliver to the guest.
#include <memory>

#include "check.h"
#include "hot/group.h"

namespace vhfo = vhost_failover;

static std::unique_ptr<vhfo::Group> group_with(bool eligible, bool standby_present,
                                               bool standby_up) {
  auto group = std::make_unique<vhfo::Group>();
  group->hot.primary_eligible = eligible;
  group->hot.uplinks[vhfo::kStandby].present = standby_present;
  group->hot.uplinks[vhfo::kStandby].link_up = standby_up;
  return group;
}

TEST("an eligible primary carries the burst whatever the standby's state") {
  CHECK_EQ(group_with(true, true, true)->hot.transmit_path(), vhfo::kPrimary);
  CHECK_EQ(group_with(true, false, false)->hot.transmit_path(), vhfo::kPrimary);
}

TEST("without an eligible primary the standby carries it while present and up") {
  CHECK_EQ(group_with(false, true, true)->hot.transmit_path(), vhfo::kStandby);
  CHECK_EQ(group_with(false, true, false)->hot.transmit_path(), vhfo::kNoPath);
  CHECK_EQ(group_with(false, false, true)->hot.transmit_path(), vhfo::kNoPath);
}

TEST("rx both delivers from either uplink; rx active only from the transmitting one") {
  auto group = group_with(false, true, true);
  group->hot.rx_mode = vhfo::RxMode::kBoth;
  CHECK(group->hot.delivers_from(vhfo::kPrimary));
  group->hot.rx_mode = vhfo::RxMode::kActive;
  CHECK(!group->hot.delivers_from(vhfo::kPrimary));
  CHECK(group->hot.delivers_from(vhfo::kStandby));
}

TEST("rx failover: the primary's frames always; the standby's only without it, or in the grace") {
  auto group = group_with(false, true, true);
  CHECK(group->hot.rx_mode == vhfo::RxMode::kFailover);  // the default
  CHECK(group->hot.delivers_from(vhfo::kPrimary));
  CHECK(group->hot.delivers_from(vhfo::kStandby));
  group->hot.primary_eligible = true;
  CHECK(group->hot.delivers_from(vhfo::kPrimary));
  CHECK(!group->hot.delivers_from(vhfo::kStandby));
  group->hot.standby_rx_until_tsc = rte_rdtsc() + (1ull << 40);  // a grace window open
  CHECK(group->hot.delivers_from(vhfo::kStandby));
}

TEST("a queue's frames reach the guest on that queue while it is enabled, else on an enabled one") {
  auto group = group_with(true, true, true);
  group->queues = 4;
  CHECK_EQ(group->hot.guest_rx_queue_for(3), vhfo::GroupHot::kNoGuestQueue);  // none enabled yet
  group->hot.guest_rx_queues_enabled = 0b1111;
  for (uint16_t q = 0; q < 4; q++) CHECK_EQ(group->hot.guest_rx_queue_for(q), q);
  group->hot.guest_rx_queues_enabled = 0b0001;  // a one-queue guest (ethtool -L combined 1)
  for (uint16_t q = 0; q < 4; q++) CHECK_EQ(group->hot.guest_rx_queue_for(q), 0);
  group->hot.guest_rx_queues_enabled = 0b1010;  // queues 1 and 3: the others spread over them
  CHECK_EQ(group->hot.guest_rx_queue_for(0), 1);
  CHECK_EQ(group->hot.guest_rx_queue_for(1), 1);
  CHECK_EQ(group->hot.guest_rx_queue_for(2), 1);
  CHECK_EQ(group->hot.guest_rx_queue_for(3), 3);
  group->hot.guest_rx_queues_enabled = 0b0110;
  CHECK_EQ(group->hot.guest_rx_queue_for(0), 1);  // 0 % 2: the first enabled
  CHECK_EQ(group->hot.guest_rx_queue_for(3), 2);  // 3 % 2: the second
}
