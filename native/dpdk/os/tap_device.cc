#include "os/tap_device.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <rte_ether.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vhost_failover {

std::string tap_name_problem(const std::string &name) {
  if (name.empty()) return "a tap needs an interface name (tap:NAME)";
  if (name.size() >= IFNAMSIZ)
    return "a tap interface name of " + std::to_string(name.size()) +
           " bytes; Linux allows at most " + std::to_string(IFNAMSIZ - 1);
  for (const char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-'))
      return "a tap interface name may hold only letters, digits, '_', '.', '-'";
  if (name == "." || name == "..") return "\"" + name + "\" is not an interface name";
  return "";
}

// The socket the interface ioctls go through: any socket of the daemon's network namespace.
static int ioctl_socket() {
  static const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  return fd;
}

static ifreq request_for(const std::string &name) {
  ifreq request = {};
  memcpy(request.ifr_name, name.c_str(), name.size());  // checked: shorter than IFNAMSIZ
  return request;
}

static std::string failed(const std::string &what, const std::string &name) {
  return what + " of tap " + name + " failed: " + strerror(errno);
}

static std::string open_queue(const std::string &name, bool first, int *fd) {
  *fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (*fd < 0) return std::string("cannot open /dev/net/tun: ") + strerror(errno);
  ifreq request = request_for(name);
  // The first queue makes the interface and fails if it exists (another VM's tap, a host
  // interface); the others join it.
  request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | (first ? IFF_TUN_EXCL : 0);
  if (ioctl(*fd, TUNSETIFF, &request) == 0) return "";
  const std::string error =
      first && errno == EBUSY
          ? "interface " + name +
                " exists already; the daemon makes its own taps and never adopts one: name a "
                "free one"
          : failed("TUNSETIFF", name);
  close(*fd);
  *fd = -1;
  return error;
}

static std::string configure(const std::string &name, uint16_t mtu, const rte_ether_addr *mac) {
  const int sock = ioctl_socket();
  if (sock < 0) return std::string("cannot open a socket for interface calls: ") + strerror(errno);
  ifreq request = request_for(name);
  if (mtu != 0) {
    request.ifr_mtu = mtu;
    if (ioctl(sock, SIOCSIFMTU, &request) != 0)
      return failed("setting mtu " + std::to_string(mtu), name);
  }
  if (mac) {
    request = request_for(name);
    request.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memcpy(request.ifr_hwaddr.sa_data, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
    if (ioctl(sock, SIOCSIFHWADDR, &request) != 0) return failed("setting the MAC", name);
  }
  request = request_for(name);
  if (ioctl(sock, SIOCGIFFLAGS, &request) != 0) return failed("reading the flags", name);
  request.ifr_flags |= IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &request) != 0) return failed("setting it up", name);
  return "";
}

std::string tap_create(const std::string &name, uint16_t queues, uint16_t mtu,
                       const rte_ether_addr *mac, int *fds) {
  std::string error = tap_name_problem(name);
  if (!error.empty()) return error;
  for (uint16_t q = 0; q < queues; q++) fds[q] = -1;
  for (uint16_t q = 0; q < queues && error.empty(); q++) error = open_queue(name, q == 0, &fds[q]);
  if (error.empty()) error = configure(name, mtu, mac);
  if (!error.empty()) tap_close(fds, queues);
  return error;
}

void tap_close(int *fds, uint16_t queues) {
  for (uint16_t q = 0; q < queues; q++) {
    if (fds[q] >= 0) close(fds[q]);
    fds[q] = -1;
  }
}

bool tap_link_up(const std::string &name) {
  ifreq request = request_for(name);
  return ioctl(ioctl_socket(), SIOCGIFFLAGS, &request) == 0 &&
         (request.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
}

}  // namespace vhost_failover
