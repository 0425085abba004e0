#include "os/peer_credentials.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace vhost_failover {

std::string peer_credentials(int fd, PeerCredentials *out) {
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0)
    return std::string("SO_PEERCRED failed: ") + strerror(errno);
  out->pid = credentials.pid;
  out->uid = credentials.uid;
  out->gid = credentials.gid;
  // SO_PEERGROUPS (Linux 4.13): the groups the kernel recorded at connect time, not the live
  // ones of whatever process holds that pid later.
  std::vector<gid_t> groups(64);
  for (;;) {
    socklen_t bytes = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &bytes) == 0) {
      groups.resize(bytes / sizeof(gid_t));
      break;
    }
    if (errno != ERANGE) return std::string("SO_PEERGROUPS failed: ") + strerror(errno);
    groups.resize(bytes / sizeof(gid_t) + 1);
  }
  out->groups = std::move(groups);
  return "";
}

}  // namespace vhost_failover
