// The guest lib/vhost has connected to a group's socket, as the workers see it: one word, written
// by the vhost-user callbacks (control/vhost_user.cc) and loaded once per burst. A worker touches
// the guest's device (its vid) only between the new_device that published it and the
// destroy_device that clears it, and destroy_device returns only once every pass that may have
// loaded it has ended (Group::quiesce_workers). That is the whole handshake: the acquire load
// here pairs with the release store there, and the pass epochs order the rest. net_vhost's
// allow_queuing/while_queuing flags (plain loads and stores, which x86 may reorder) are gone.
#pragma once

#include <atomic>
#include <cstdint>

namespace vhost_failover {

struct GuestSession {
  // No guest. Otherwise: the connection's number (which changes with every new_device, though a
  // vid may be reused) in the high bits, whether its rings are packed, and its vid in the low 32.
  static constexpr uint64_t kNone = 0;
  static constexpr uint64_t kPacked = 1ull << 32;

  std::atomic<uint64_t> current{kNone};
  uint32_t connections = 0;  // the vhost-user callbacks' only

  static int vid(uint64_t session) { return static_cast<int>(static_cast<uint32_t>(session)); }
  static bool packed(uint64_t session) { return (session & kPacked) != 0; }

  uint64_t load() const { return current.load(std::memory_order_acquire); }
  void connected(int vid, bool packed) {
    current.store(
        uint64_t{++connections} << 33 | (packed ? kPacked : 0) | static_cast<uint32_t>(vid),
        std::memory_order_release);
  }
  void disconnected() { current.store(kNone, std::memory_order_release); }
};

}  // namespace vhost_failover
