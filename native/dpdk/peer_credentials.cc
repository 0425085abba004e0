#include "peer_credentials.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace vhost_failover {

std::string peer_credentials(int fd, PeerCredentials *out) {
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0)
    return std::string("SO_PEERCRED failed: ") + strerror(errno);
  *out = {credentials.pid, credentials.uid, credentials.gid};
  return "";
}

}  // namespace vhost_failover
