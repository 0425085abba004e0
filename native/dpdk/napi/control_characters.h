// Strings JavaScript hands the native side become C strings: DPDK's devargs parser, bind() and
// if_nametoindex() read them up to the first NUL, so "a.sock\0,server" would pass every check made
// on the whole string and reach DPDK as something else. Control characters have no place in a path,
// devargs, an interface or group name, and would forge lines in a log. The addon refuses them all.
#pragma once

#include <string_view>

namespace vhost_failover {

// The byte offset of the first control character in UTF-8 text: C0 (U+0000..U+001F, NUL
// included), DEL (U+007F) or C1 (U+0080..U+009F, encoded 0xC2 0x80..0x9F); npos if none.
inline size_t first_control_character(std::string_view text) {
  for (size_t i = 0; i < text.size(); i++) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) return i;
    if (byte == 0xc2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace vhost_failover
