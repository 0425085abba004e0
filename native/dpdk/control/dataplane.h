// The native data plane of one process: EAL, the mbuf pools, worker lcores, the link monitor and
// the groups. Every operation on a group goes through this object; every call here comes from
// the Node main thread (through addon.cc). Errors are returned as text, "" meaning success.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "control/capture.h"
#include "control/eal.h"
#include "control/group_report.h"
#include "control/link_monitor.h"
#include "control/mbuf_pools.h"
#include "control/port.h"
#include "control/worker_report.h"
#include "hot/group.h"
#include "hot/worker.h"
#include "os/log_stream.h"

struct rte_mempool;

namespace vhost_failover {

struct DataplaneOptions {
  std::vector<std::string> eal_args;
  std::vector<unsigned> worker_lcores;
  unsigned mbufs = 16383;   // the smallest pool made (mbuf_pools.h)
  unsigned max_mtu = 1500;  // sizes the mbufs; a group may not ask for more
  // The config's defaults (src/config/schema.ts), which the addon always passes.
  unsigned link_poll_interval_us = 1000;
  unsigned idle_sleep_max_us = 200;
  bool rx_interrupts = true;  // an idle worker sleeps on its ports' rx interrupts
};

// One of a group's three ports, as port-xstats names it.
enum class PortRole : uint8_t { kVhost, kPrimary, kStandby };

// Defaults as the config's (src/config/schema.ts), which the addon always passes.
struct GroupSpec {
  std::string name;
  std::string mac;
  unsigned mtu = 1500;
  RxMode rx_mode = RxMode::kFailover;
  unsigned rx_grace_ms = 500;  // rx: failover: the standby's frames still reach the guest this long
  bool spoof_check = true;     // drop guest frames whose source MAC is not the group's
  std::string vhost_socket;    // the vhost-user socket's path
  bool vhost_client = false;   // connect to it (QEMU listens) rather than listen
  std::string primary_devargs;
  std::string standby_devargs;
  MacMode primary_mac_mode = MacMode::kLeave;
  unsigned rx_descriptors = 512;
  unsigned tx_descriptors = 512;
  // Announce addresses seen this recently; 0: no learning, no GARP.
  unsigned garp_max_age_ms = 300000;
  unsigned queues = 1;  // queue pairs on each of the group's ports
};

class Dataplane {
 public:
  // Stops everything still running if the process ends without shutdown(): the workers and the
  // monitor must never outlive the objects they use.
  ~Dataplane() { shutdown(); }

  // Error text, or "" and the dataplane started (workers running, monitor polling). DPDK's own
  // log lines go to log_sink from the start of EAL on.
  std::string start(const DataplaneOptions &options, EventSink sink, LogSink log_sink);
  void shutdown();

  // Opens the vhost-user socket and the standby (an error there fails the group), then the primary:
  // a primary that cannot be probed leaves the group running on its standby, with the reason in
  // *primary_error, and `attach` (or a retry) may give it one later.
  std::string add_group(const GroupSpec &spec, std::string *primary_error);
  std::string remove_group(const std::string &name);

  // Planned removal of a group's primary: the standby takes new bursts first (make before
  // break), the primary's tx ring drains, then it is stopped, closed and unplugged. Also cleans
  // up after a surprise removal. Returns an error text or ""; *drain says how the ring emptied.
  std::string detach_primary(const std::string &name, TxDrain *drain);

  // Mirrors the guest's receive filter onto both uplinks, and onto any primary attached later.
  std::string set_rx_filter(const std::string &name, const RxFilter &filter);
  // Probes and starts a new primary for a group that has none; the policy decides when it
  // carries traffic once its link is up.
  std::string attach_primary(const std::string &name, const std::string &devargs, MacMode mac_mode);
  // Recovers a primary native code took out of service (a transmit stall, a reset its driver
  // asked for): out of the workers' sight, rte_eth_dev_reset, then configured and started again
  // as at attach (queues, RSS, MAC, receive filter). An error leaves the port stopped and not
  // present: the caller then detaches it and probes it afresh.
  std::string reset_primary(const std::string &name);
  // A primary with MacMode::kSet while its guest is away (a migrated guest's source) and back:
  // carry=false gives it the MAC it had before, carry=true the guest's again. Other primaries,
  // and a group without one, are left alone.
  std::string carry_guest_mac(const std::string &name, bool carry);
  // Asks the worker, which owns the uplinks' tx queues, to send one announcement round (RARP and
  // GARPs) on the group's transmitting path.
  std::string announce(const std::string &name);
  // The control plane's decision on the primary; allowing takes effect only while the primary is
  // present and link-up (*applied says whether it did).
  std::string set_primary_eligible(const std::string &name, bool eligible, SwitchCause cause,
                                   const std::string &reason, bool *applied);
  // How recently the guest must have claimed an address for its GARP (a reload); 0: no learning.
  std::string set_garp_max_age(const std::string &name, unsigned ms);
  // Fault injection (labs): the primary's removal callback runs on the interrupt thread, as
  // ethdev's RMV event or as the device event the kernel's request to release it raises.
  std::string inject_primary_removal(const std::string &name, RemovalSignal signal);
  // Fault injection (labs): the primary's driver asks for a reset (RTE_ETH_EVENT_INTR_RESET), its
  // callback run on the interrupt thread.
  std::string inject_primary_reset_request(const std::string &name);
  // Fault injection (labs): the primary refuses every frame (tx_stall_injection.h) until it is
  // reset or released; its link still reads up.
  std::string inject_tx_stall(const std::string &name);
  // Fault injection (labs): a thread holds both uplinks' call locks for `ms`, as a slow driver
  // call (a PF mailbox that does not answer) would; other groups must not notice.
  std::string inject_driver_stall(const std::string &name, unsigned ms);
  std::string group_status(const std::string &name, GroupStatusReport *out);
  std::string group_stats(const std::string &name, GroupStatsReport *out);
  // The NIC counters of the group's uplinks (a driver call each, under the port's lock), and
  // lib/vhost's of its guest.
  std::string group_port_stats(const std::string &name, GroupPortStats *out);
  // Passes each worker has made: a worker whose count stops is stuck.
  std::vector<uint64_t> worker_passes() const;
  // Each worker's cycles and frames (worker_cycles.h) and the units it polls.
  std::vector<WorkerReport> worker_reports();
  // A port's extended counters, by the driver's names: a driver call under the port's lock; the
  // vhost role's are lib/vhost's per-vring counters and their sums.
  std::string port_xstats(const std::string &name, PortRole role, std::vector<PortXstat> *out);
  std::vector<std::string> group_names();
  unsigned mbufs_in_use() const;
  // Mirrors the group's frames into a new pcap file `file` until `limits` run out
  // (dataplane_capture.cc); one capture per group at a time.
  std::string start_capture(const std::string &name, const std::string &file,
                            const CaptureLimits &limits);
  // The group's last capture, running or ended; false if it had none.
  bool capture_report(const std::string &name, CaptureReport *out);

 private:
  std::string open_ports(Group &group, const GroupSpec &spec, std::string *primary_error);
  std::string open_uplink(Group &group, Path path, const std::string &devargs, MacMode mac_mode);
  // port_start() with the pool of the port's NUMA socket, `mbufs` counted against it.
  std::string start_port(uint16_t port_id, PortSetup &setup, unsigned mbufs);
  std::string start_uplink(Group &group, Path path);
  // What an uplink is opened with: the group's queues, descriptors, MTU and MAC mode.
  PortSetup uplink_setup(Group &group, Path path) const;
  // port_probe(), refusing a port some group already uses.
  std::string probe_unclaimed(const std::string &devargs, uint16_t *port_id);
  // Closes a port this dataplane claimed and forgets it; sets the id to UINT16_MAX.
  void release(PortCallLock &calls, uint16_t &port_id);
  // Closes an uplink's device, whichever its kind (a port as release() does, or its tap).
  void release_uplink(Group &group, Uplink &uplink);
  void close_ports(Group &group);
  // The worker with the fewest queues to poll; under groups_mutex_.
  Worker &least_loaded_worker_locked();
  // The group and the workers polling its queues (each once); nullptr if there is no such group.
  Group *find(const std::string &name, std::vector<Worker *> *workers = nullptr);
  // Applies fn to a group under the registry lock; an error naming the groups if there is none.
  std::string with_group(const std::string &name, const std::function<void(Group &)> &fn);
  std::string no_such_group(const std::string &name);
  void republish(Worker &worker);
  // The group queues `worker` polls, in registry order; under groups_mutex_.
  std::vector<PollUnit> poll_units_locked(const Worker &worker) const;
  // Returns once no pass of the group's workers that began before the call is still running.
  static void quiesce(const std::vector<Worker *> &workers);

  DataplaneOptions options_;
  EventSink sink_;
  bool eal_ready_ = false;
  MbufPools pools_;
  std::vector<std::unique_ptr<Worker>> workers_;
  LinkMonitor monitor_;
  std::mutex groups_mutex_;  // the registry; the worker never takes it
  std::vector<std::shared_ptr<Group>> groups_;
  std::vector<std::vector<Worker *>> queue_workers_;  // parallel to groups_: per queue
  std::set<uint16_t> claimed_ports_;                  // every port opened here and not yet released
  // Each group's last capture, by group name (Node thread); a group's ends when it is removed.
  std::map<std::string, std::unique_ptr<CaptureSession>> captures_;
  unsigned captures_started_ = 0;  // names each capture's ring and pool
};

}  // namespace vhost_failover
