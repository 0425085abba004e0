#include "os/netlink_links.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vhost_failover {

std::string NetlinkLinks::open() {
  fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd_ < 0) return std::string("cannot open a netlink socket: ") + strerror(errno);
  sockaddr_nl address = {};
  address.nl_family = AF_NETLINK;
  address.nl_groups = RTMGRP_LINK;
  if (bind(fd_, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
    const std::string error =
        std::string("cannot listen to link notifications: ") + strerror(errno);
    close();
    return error;
  }
  return "";
}

void NetlinkLinks::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool NetlinkLinks::drain() {
  // Any datagram on RTMGRP_LINK is about a link; one too long for the buffer is cut (MSG_TRUNC)
  // and must count too. Overrun (ENOBUFS) means some were lost.
  bool changed = false;
  char buffer[8192];
  for (;;) {
    const ssize_t got = recv(fd_, buffer, sizeof buffer, MSG_TRUNC);
    if (got < 0) return changed || errno == ENOBUFS;  // EAGAIN: all read
    changed = true;
  }
}

}  // namespace vhost_failover
