// The frames of an announcement round, built into an mbuf: pure functions of the guest's MAC and
// addresses, unit-tested apart from any port.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstdint>

namespace vhost_failover {

// QEMU's announcement after a migration (qemu_announce_self): a RARP "request reverse" from the
// guest's MAC to broadcast, sender and target hardware address both the guest's. False if the
// mbuf has no room.
bool build_rarp(rte_mbuf *mbuf, const rte_ether_addr &mac);

// The gratuitous ARP Linux sends when an address moves: a broadcast request for ipv4 (network
// byte order) from ipv4 itself, in 802.1Q VLAN `vlan` unless it is 0.
bool build_garp(rte_mbuf *mbuf, const rte_ether_addr &mac, uint32_t ipv4, uint16_t vlan);

}  // namespace vhost_failover
