// A kernel tap interface the daemon makes itself and reads and writes with its own system calls
// (as Open vSwitch's netdev-linux does), not through net_tap: no ethdev port, one nonblocking fd
// per queue (IFF_MULTI_QUEUE). The daemon never adopts an interface that exists (IFF_TUN_EXCL),
// and never makes it persistent: the kernel removes the tap when its last fd is closed.
#pragma once

#include <cstdint>
#include <string>

struct rte_ether_addr;

namespace vhost_failover {

// What is wrong with `name` as a tap's interface name ("" if nothing): 1 to 15 bytes
// (IFNAMSIZ with its NUL), letters, digits, '_', '.', '-', not "." or "..".
std::string tap_name_problem(const std::string &name);

// Makes tap `name` with `queues` queues, up, with `mtu` (0: the kernel's default) and, if `mac`
// is given, that MAC; fds[0..queues) get its nonblocking queue fds. Error text or "" (then
// nothing is left open or made).
std::string tap_create(const std::string &name, uint16_t queues, uint16_t mtu,
                       const rte_ether_addr *mac, int *fds);

// Closes the queue fds (the last close removes the tap) and sets them to -1.
void tap_close(int *fds, uint16_t queues);

// Whether the kernel side is up and has carrier (IFF_UP and IFF_RUNNING): false once an
// administrator set it down or deleted it. A system call; any thread.
bool tap_link_up(const std::string &name);

}  // namespace vhost_failover
