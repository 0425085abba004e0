// The native side's own check of a tap:NAME uplink's name, which it hands to TUNSETIFF: the
// addon's caller is checked too, but the kernel's ifreq must never see a longer or odd name.
#include <string>

#include "check.h"
#include "os/tap_device.h"

namespace vhfo = vhost_failover;
using std::string_literals::operator""s;

TEST("a tap's name: 1 to 15 bytes of letters, digits, _ . -") {
  CHECK(vhfo::tap_name_problem("sb-vm1").empty());
  CHECK(vhfo::tap_name_problem("a.b_C-9").empty());
  CHECK(vhfo::tap_name_problem("abcdefghijklmno").empty());  // 15: IFNAMSIZ with its NUL
}

TEST("a hostile tap name is refused: too long, empty, separators, NUL, dots") {
  CHECK(!vhfo::tap_name_problem("abcdefghijklmnop").empty());
  CHECK(!vhfo::tap_name_problem("").empty());
  CHECK(!vhfo::tap_name_problem("a/b").empty());
  CHECK(!vhfo::tap_name_problem("a:b").empty());
  CHECK(!vhfo::tap_name_problem("a b").empty());
  CHECK(!vhfo::tap_name_problem("sb\0eth0"s).empty());
  CHECK(!vhfo::tap_name_problem("\xc3\xa9").empty());
  CHECK(!vhfo::tap_name_problem(".").empty());
  CHECK(!vhfo::tap_name_problem("..").empty());
}
