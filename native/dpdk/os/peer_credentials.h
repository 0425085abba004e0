// Who is at the other end of a unix socket, as the kernel says (SO_PEERCRED): the control
// socket decides what a client may do from this, never from what the client claims.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace vhost_failover {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary, as they were when the peer connected
};

// Error text, or "" and *out filled.
std::string peer_credentials(int fd, PeerCredentials *out);

}  // namespace vhost_failover
