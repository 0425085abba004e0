// One DPDK ethdev (vhost-user, VF, tap, ...) from devargs to started, and back to gone.
#pragma once

#include <cstdint>
#include <string>

struct rte_mempool;
struct rte_ether_addr;

namespace vhost_failover {

// What a port's start does with the guest's MAC.
enum class MacMode : uint8_t {
  kLeave,  // nothing: a vdev's MAC belongs to a host interface
  kSet,    // give the port the guest's MAC, and verify that it took it
  kCheck,  // never write it (the VF's administrator set it through the PF); the port must carry it
};

struct PortSetup {
  uint16_t mtu = 0;  // 0 keeps the driver's default
  uint16_t rx_descriptors = 512;
  uint16_t tx_descriptors = 512;
  rte_mempool *pool = nullptr;
  const rte_ether_addr *mac = nullptr;  // the guest's, for mac_mode
  MacMode mac_mode = MacMode::kLeave;
  bool rx_interrupt = false;  // give the rx queues interrupt fds where the driver's are usable
  uint16_t queues = 1;        // rx and tx queue pairs; spread by RSS where the driver has it
};

// Probes the device (PCI address or vdev string) and returns its port id. Error text or "".
std::string port_probe(const std::string &devargs, uint16_t *port_id);

// `queues` rx and tx queues (RSS over them where the driver offers it), the removal interrupt
// when the driver has it, MTU and MAC, started. A driver with fewer queues is an error that says
// so: queue q of every port of a group belongs to one worker, with no lock on the uplinks.
std::string port_start(uint16_t port_id, const PortSetup &setup);

// What became of the frames in a port's tx ring before it was stopped.
enum class TxDrain { kDrained, kTimedOut, kNotReported };
const char *tx_drain_name(TxDrain drain);

// Waits (at most timeout_us) until the device has sent every frame handed to its tx queues, so
// that stopping it loses none. Call only once nothing transmits on the port any more. Drivers
// without descriptor status (tap, vhost: no ring to drain) report kNotReported at once.
TxDrain port_drain_tx(uint16_t port_id, uint16_t queues, unsigned timeout_us);

// Stops, closes and hot-unplugs the device. Safe on a port that failed half way.
void port_release(uint16_t port_id);

// Gives a port back the MAC it carried before its start set the guest's (MacMode::kSet): on a VF,
// its administrator's; a source host's VF then no longer takes the frames of a guest that left.
// For a port whose device is still there (a removed one has no mailbox to answer).
void port_restore_mac(uint16_t port_id);

// Gives a started port the guest's MAC again (MacMode::kSet), keeping the MAC it carries now to
// give back; "" or why the port or its PF refused it.
std::string port_set_guest_mac(uint16_t port_id, const rte_ether_addr &guest);

// The name of the device behind the port ("0000:3b:02.1", "net_tap0"); "" if it has none.
std::string port_device_name(uint16_t port_id);

// Link state as the driver reads it now, without waiting for a link to settle.
bool port_link_up(uint16_t port_id);

}  // namespace vhost_failover
