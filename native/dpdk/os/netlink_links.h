// Kernel link notifications (rtnetlink RTMGRP_LINK) in the daemon's network namespace. net_tap
// keeps its own such socket but only refreshes a cache with it and raises no LSC event, so the
// monitor listens itself: a tap's cable pulled (`ip link set down`, carrier lost, deleted) is
// seen within microseconds instead of at the next poll.
#pragma once

#include <string>

namespace vhost_failover {

class NetlinkLinks {
 public:
  ~NetlinkLinks() { close(); }
  std::string open();  // error text or ""
  void close();
  int fd() const { return fd_; }
  // Reads what is pending; true if any link was added, changed or removed, or if the kernel
  // dropped notifications (socket overrun): either way every port must be read again.
  bool drain();

 private:
  int fd_ = -1;
};

}  // namespace vhost_failover
