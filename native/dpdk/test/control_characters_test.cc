// The check every string from JavaScript passes before the native side uses it.
#include "napi/control_characters.h"

#include <string>

#include "check.h"

namespace vhfo = vhost_failover;
using std::string_literals::operator""s;

constexpr size_t kNone = std::string_view::npos;

TEST("plain paths, devargs and UTF-8 names hold no control character") {
  CHECK_EQ(vhfo::first_control_character("/run/vhost-failover/vm1.sock"), kNone);
  CHECK_EQ(vhfo::first_control_character("net_tap0,iface=vm1-tap,persist"), kNone);
  CHECK_EQ(vhfo::first_control_character("r\xc3\xa9seau \xe2\x82\xac"), kNone);  // é, €
  CHECK_EQ(vhfo::first_control_character("\xc2\xa0"), kNone);  // U+00A0, the first after C1
  CHECK_EQ(vhfo::first_control_character(""), kNone);
}

TEST("a NUL is found wherever it is, the end included") {
  CHECK_EQ(vhfo::first_control_character("/tmp/a.sock\0,server=1"s), 11u);
  CHECK_EQ(vhfo::first_control_character("\0"s), 0u);
  CHECK_EQ(vhfo::first_control_character("vm1\0"s), 3u);
}

TEST("C0 controls, DEL and C1 controls are found; their neighbours are not") {
  CHECK_EQ(vhfo::first_control_character("a\nb"), 1u);
  CHECK_EQ(vhfo::first_control_character("a\x1f"), 1u);
  CHECK_EQ(vhfo::first_control_character("a\x7f"), 1u);
  CHECK_EQ(vhfo::first_control_character("ab\xc2\x85"), 2u);  // U+0085, NEL
  CHECK_EQ(vhfo::first_control_character("ab\xc2\x9f"), 2u);
  CHECK_EQ(vhfo::first_control_character(" ~"), kNone);
  CHECK_EQ(vhfo::first_control_character("\xc2"), kNone);  // a cut sequence is not C1
}
