// Which VLAN entries a port must gain and lose to hold what the guest asks for.
#include "control/rx_filter.h"

#include <algorithm>

#include "check.h"

namespace vhfo = vhost_failover;
using Vlans = std::vector<uint16_t>;

static vhfo::RxFilter filtering(Vlans vlans) {
  vhfo::RxFilter filter;
  filter.vlan_filtering = true;
  filter.vlans = vlans;
  return filter;
}

static bool same(Vlans a, Vlans b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

TEST("a fresh port gains every VLAN the guest filters for, once each") {
  const auto changes = vhfo::vlan_changes({}, filtering({0, 100, 100, 200}));
  CHECK(same(changes.add, {0, 100, 200}));
  CHECK(changes.remove.empty());
}

TEST("a changed table adds the new VLANs and removes only the stale ones") {
  const auto changes = vhfo::vlan_changes({0, 100, 300}, filtering({0, 100, 200}));
  CHECK(same(changes.add, {200}));
  CHECK(same(changes.remove, {300}));
}

TEST("a guest that stops filtering VLANs leaves no entry behind") {
  vhfo::RxFilter all;
  all.vlans = {100};  // ignored while not filtering
  const auto changes = vhfo::vlan_changes({0, 100}, all);
  CHECK(changes.add.empty());
  CHECK(same(changes.remove, {0, 100}));
}

TEST("filtering with an empty table removes every entry (the guest wants no tagged frames)") {
  const auto changes = vhfo::vlan_changes({5}, filtering({}));
  CHECK(changes.add.empty());
  CHECK(same(changes.remove, {5}));
}
