// The state of one failover group, in one part per owner: what the workers read per burst
// (GroupHot), what the control threads change under the control lock (GroupControl), and what
// only the Node thread touches (GroupNode). Name and queue count are fixed when it is added.
#pragma once

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>

#include <atomic>
#include <bitset>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "control/events.h"
#include "control/port.h"
#include "control/port_call_lock.h"
#include "control/rx_filter.h"
#include "control/tx_progress.h"
#include "control/tx_stall_injection.h"
#include "control/vhost_user.h"
#include "hot/counters.h"
#include "hot/guest_addresses.h"
#include "hot/guest_frames.h"
#include "hot/guest_session.h"
#include "hot/tap_io.h"
#include "hot/vhost_drops.h"
#include "hot/wakeup.h"

namespace vhost_failover {

struct CaptureSink;
struct Worker;

// Which uplink carries a burst. Also indexes per-path arrays.
enum Path : uint8_t { kPrimary = 0, kStandby = 1, kNoPath = 2 };
constexpr int kUplinks = 2;

const char *path_name(Path path);

// Queue pairs a group may have: net_tap's limit, and the guest's ethtool -L range that matters.
constexpr uint16_t kMaxQueues = 16;

// Which uplinks' frames reach the guest.
enum class RxMode : uint8_t {
  kFailover,  // net_failover's rule: the primary's always; the standby's while the primary does
              // not transmit, and for a grace window after it starts to
  kBoth,      // either uplink's (paths that do not share an L2 segment)
  kActive,    // only the transmitting uplink's
};

// How the worker reaches an uplink: a DPDK ethdev port (a VF, net_tap, ...), or a kernel tap it
// reads and writes itself (hot/tap_io.h), which takes no ethdev port.
enum class UplinkKind : uint8_t { kEthdev, kTap };

struct Uplink {
  std::string devargs;
  UplinkKind kind = UplinkKind::kEthdev;  // set before the uplink is present
  uint16_t port_id = UINT16_MAX;          // kEthdev's
  std::string tap_name;                   // kTap's interface, while it is open
  TapQueue tap_queues[kMaxQueues];        // kTap's
  // Probed, configured and started: the worker may poll it. Cleared (and the worker quiesced)
  // before the port is stopped or closed.
  std::atomic<bool> present{false};
  std::atomic<bool> link_up{false};
  // Bumped for each port this uplink gets, before it is present: a link state read from an
  // earlier port is never applied to a later one.
  std::atomic<uint32_t> generation{0};
  // Each reading of the link takes a ticket; a reading older than the last one applied (the
  // monitor's and an attach's may cross) is not applied.
  std::atomic<uint64_t> readings{0};
  uint64_t last_applied_reading = 0;  // GroupControl::mutex
  PortCallLock calls;
  // The port's rte_device name ("0000:3b:02.1", "net_tap0"): the kernel's request to release a
  // device names it. Written only while no device event callback is registered for it.
  std::string device_name;
  MacMode mac_mode = MacMode::kLeave;  // what the port's start does with the guest's MAC
  // Frames refused by an injected transmit stall (labs), on each queue; removed before the port
  // is reset or released. Node thread only.
  TxCallbacks injected_tx_stalls;
  // How the port took the guest's receive filter, and the VLAN entries it holds (Node thread).
  RxFilterOutcome rx_filter_outcome;
  std::vector<uint16_t> applied_vlans;

  // Whether a device is open behind it (a port probed, a tap made), present or not.
  bool has_device() const {
    return kind == UplinkKind::kTap ? !tap_name.empty() : port_id != UINT16_MAX;
  }
};

// What the workers polling a group's queues read per burst, or write: set before the group is
// polled, or atomics the control threads write and the workers load once per burst. A field a
// worker never reads does not belong here.
struct GroupHot {
  rte_ether_addr guest_mac{};
  RxMode rx_mode = RxMode::kFailover;
  // What the guest may send (length, source MAC).
  GuestFrameRules frame_rules;
  rte_mempool *pool = nullptr;  // announcements, and what a tap uplink reads into
  // The guest's frames as lib/vhost copies them out: a pool on the guest memory's NUMA node,
  // else `pool`. Set before the guest is published (GuestSession), read only while it is.
  rte_mempool *guest_pool = nullptr;

  // Set once the group's socket and ports are open; cleared while it is taken down, and then
  // none of them is touched.
  std::atomic<bool> started{false};
  // The guest connected to the group's vhost-user socket (guest_session.h): its vid, per burst.
  GuestSession guest;
  // Bumped by every vhost-user callback that may change a vring's kick eventfd (a guest coming,
  // leaving, a vring's state): a worker asleep on the kicks rebuilds its epoll set.
  std::atomic<uint32_t> guest_vrings_changed{0};
  // The guest as the link monitor last reported it (status, the guest event).
  std::atomic<bool> guest_ready{false};
  Uplink uplinks[kUplinks];

  // The primary carries traffic only while this is set. Native code clears it the moment the
  // primary's link drops or the device goes away; only the control plane (failback policy)
  // sets it again, and only while the link is up.
  std::atomic<bool> primary_eligible{false};
  // Bumped each time the primary becomes eligible: a queue's refusal window (tx_progress.h) from an
  // earlier period of service does not carry into this one.
  std::atomic<uint32_t> primary_service_epoch{0};
  // How long the primary may refuse every frame before the worker takes it out of service
  // (tx_progress.h), and the flag it sets then; the monitor reports it (a primaryFault) and clears
  // it.
  uint64_t tx_stall_tsc = 0;
  std::atomic<bool> primary_tx_stall_seen{false};
  // rx: failover delivers the standby's frames until this TSC after the primary took over, so
  // that nothing still arriving on the old path is lost.
  std::atomic<uint64_t> standby_rx_until_tsc{0};

  // What the worker polling queue q owns, each on its own cache line so that its stores never
  // invalidate the flags other threads write or read, nor another queue's worker's state.
  struct alignas(RTE_CACHE_LINE_SIZE) QueueOwned {
    // The path and TSC of the last burst this queue sent, for the failover gap below.
    Path last_tx_path = kNoPath;
    uint64_t last_tx_tsc = 0;
    // When it may next ask the primary's link state after a refused send.
    uint64_t primary_link_check_after_tsc = 0;
    // Since when the primary has refused every burst of this queue (0: it took the last one), in
    // which period of service (primary_service_epoch).
    uint64_t primary_refused_since_tsc = 0;
    uint32_t primary_refused_epoch = 0;
    // The guest's transmit ring as this queue last read it (vhost_drops.h).
    VringReading guest_tx_ring;
    // Frames this queue's passes moved, both ways (worker.cc; count(), read by worker-stats).
    uint64_t frames_polled = 0;
  } queue_owned[kMaxQueues];

  // Which of the guest's receive and transmit rings (vrings 2q and 2q + 1) it has enabled, a bit
  // per queue of the group, from lib/vhost's vring_state_changed (vhost_user.cc); 0 until the
  // first. lib/vhost's bursts on a ring the guest never set up fail with an error logged each
  // time, so the worker uses only enabled ones, as net_vhost did. A guest may use fewer queue
  // pairs than offered (ethtool -L, or one vCPU): a unit whose own receive queue is disabled
  // hands the guest its frames on an enabled one instead, as OVS remaps its vhost tx queues.
  std::atomic<uint32_t> guest_rx_queues_enabled{0};
  std::atomic<uint32_t> guest_tx_queues_enabled{0};
  bool guest_sends_on(uint16_t q) const {
    return guest_tx_queues_enabled.load(std::memory_order_relaxed) >> q & 1;
  }
  // Units on different workers may then share one of the guest's rx queues: lib/vhost's enqueue
  // is not safe for two threads on one vring (from 23.03 on it takes the vring's access lock
  // shared, as a reader; 22.11's spinlock would serialise them, 24.11's does not), so each queue
  // has a lock, taken only when the group's queues are spread over more than one worker.
  struct alignas(RTE_CACHE_LINE_SIZE) VhostTxLock {
    rte_spinlock_t lock = RTE_SPINLOCK_INITIALIZER;
  } vhost_tx_locks[kMaxQueues];
  bool vhost_tx_shared = false;

  // At the last switch: TSC cycles from the last frame on the old path to the first on the new,
  // and how many switch gaps the worker has measured (the monitor reports each one once).
  std::atomic<uint64_t> last_switch_gap_tsc{0};
  std::atomic<uint64_t> switch_gaps_measured{0};
  // Set by the worker when it found the primary dead on a failed send; the monitor reports the
  // loss (even if the link is already back) and clears it. The count lets a reading taken
  // before such a loss be told from one taken after it.
  std::atomic<bool> primary_loss_seen_by_worker{false};
  std::atomic<uint32_t> primary_losses_seen_by_worker{0};
  // The link monitor's; the worker wakes it when it saw something the monitor reports (a
  // primary dead on a refused send, a switch gap measured).
  const Wakeup *link_wakeup = nullptr;

  // Announcement rounds asked for by the control plane, and the last request the worker (which
  // owns the uplinks' tx queues) has answered with a round of RARP and GARPs, counted. Requests
  // made while it sends coalesce into its next round; "requested != answered" is a round still
  // to reach the wire (status: announcing).
  std::atomic<uint32_t> announce_requested{0};
  std::atomic<uint32_t> announce_answered{0};
  GuestAddresses guest_addresses;

  // Per worker lcore: the queues of a group may be polled by several workers.
  PerLcoreCounters counters;
  // A running capture's ring (capture.h), which the workers copy received bursts into; null
  // (no capture) almost always.
  std::atomic<CaptureSink *> capture{nullptr};

  // The guest's rx queue that carries unit q's frames: q while the guest has it enabled, else one
  // of the enabled ones, spread by q; kNoGuestQueue while it has none.
  static constexpr uint16_t kNoGuestQueue = UINT16_MAX;
  uint16_t guest_rx_queue_for(uint16_t q) const {
    const uint32_t enabled = guest_rx_queues_enabled.load(std::memory_order_relaxed);
    if (enabled == 0) return kNoGuestQueue;
    if (enabled >> q & 1) return q;
    unsigned pick = q % static_cast<unsigned>(__builtin_popcount(enabled));
    uint32_t bits = enabled;
    while (pick--) bits &= bits - 1;  // drop the lowest set bit `pick` times
    return static_cast<uint16_t>(__builtin_ctz(bits));
  }

  // net_failover_start_xmit, per burst: the primary while eligible, else the standby while up.
  Path transmit_path() const {
    // Acquire: a set flag publishes the port id written before it (attach).
    if (primary_eligible.load(std::memory_order_acquire)) return kPrimary;
    const Uplink &standby = uplinks[kStandby];
    if (standby.present.load(std::memory_order_acquire) &&
        standby.link_up.load(std::memory_order_relaxed))
      return kStandby;
    return kNoPath;
  }

  // Whether frames arriving on an uplink go to the guest (see RxMode). Per received burst; reads
  // the clock only for the standby's frames while the primary transmits.
  bool delivers_from(Path path) const {
    switch (rx_mode) {
      case RxMode::kFailover:
        return path == kPrimary || transmit_path() != kPrimary ||
               rte_rdtsc() < standby_rx_until_tsc.load(std::memory_order_relaxed);
      case RxMode::kBoth:
        return true;
      default:
        return transmit_path() == path;
    }
  }
};

// What the control threads (the link monitor, DPDK's interrupt and vhost-user threads, and the
// binding calls) change and decide from, under `mutex` unless a field says otherwise. Never
// touched by a worker.
struct GroupControl {
  // Serialises the observers that update flags and decide whether to report a path switch. Held
  // only for flag updates, never across a driver call.
  std::mutex mutex;
  Path reported_path = kNoPath;
  const EventSink *sink = nullptr;
  // Held by destroy_device while it takes the guest away, and by a read of its lib/vhost
  // statistics across the calls: a read never touches a device lib/vhost is freeing.
  std::mutex guest_mutex;
  // The per-vring statistics of the guests that have left (under guest_mutex): the vhost
  // port's counters run on across guest connections, as net_vhost's did.
  VhostStats departed_guests;
  // The hot part's standby_rx_until_tsc is this long after the primary takes over (rx: failover).
  uint64_t rx_grace_tsc = 0;

  // Native code took the primary out of service (its transmit stalled, its driver asked for a
  // reset): eligibility cannot be set again until the control plane has reset or re-probed the
  // port. The interrupt thread sets primary_reset_requested when the primary's driver asks for a
  // reset; the monitor reports it and clears it.
  std::atomic<bool> primary_needs_reset{false};
  std::atomic<bool> primary_reset_requested{false};
  TxProgress primary_tx_progress;  // the monitor thread's
  uint64_t switch_gaps_reported = 0;

  // The guest's queues beyond the group's `queues` (QEMU's queues= above it): the frames it sends
  // on them are never dequeued. How many it has enabled now (status), and how many times it
  // enabled one (the monitor logs each new count).
  std::atomic<int> guest_queues_beyond_enabled{0};
  std::atomic<uint32_t> guest_queues_beyond_events{0};
  uint32_t guest_queues_beyond_reported = 0;
  // The vrings the guest has enabled, as lib/vhost last told (under guest_queues_lock): every
  // vring lib/vhost may have (VHOST_MAX_VRING: 128 queue pairs, and 24.11's control queue).
  std::bitset<258> guest_vrings_enabled;
  // Orders the queue-state updates (these and the hot part's guest_rx_queues_enabled) with their
  // reset when a guest leaves: vring_state_changed runs on the vhost-user thread, destroy_device
  // there or on the Node thread (a group's removal unregisters its socket). Held for a few
  // stores only.
  rte_spinlock_t guest_queues_lock = RTE_SPINLOCK_INITIALIZER;

  // The worker polling each queue, set as the group's queues are placed: woken for a control
  // call that needs a pass of a worker that may be asleep on its interrupts (an announcement, a
  // guest that came: its kicks are off until re-armed), and waited out when the guest leaves.
  std::atomic<Worker *> queue_workers[kMaxQueues] = {};
};

// What only the Node thread (the binding calls) reads and writes: what an uplink attached later
// is configured with.
struct GroupNode {
  uint16_t mtu = 1500;
  uint16_t rx_descriptors = 512;  // per queue
  uint16_t tx_descriptors = 512;
  // The guest's receive filter as the control plane last read it (from QEMU).
  RxFilter rx_filter;
  // The primary's port at its start, for the frames its ring takes away (tx_progress.h).
  TxRingBaseline primary_tx_ring;
};

// One failover group: the VM-facing vhost-user socket and its two uplinks, in one part per owner.
struct Group {
  std::string name;
  // The vhost-user socket's path: lib/vhost's name for the group's guest (vhost_user.cc).
  std::string socket;
  // Queue pairs on every port of the group: queue pair q of the guest and of both uplinks is one
  // unit, polled by one worker (a "poll unit"); the group's queues may be spread over workers.
  uint16_t queues = 1;
  GroupHot hot;
  GroupControl control;
  GroupNode node;

  Uplink &uplink(Path path) { return hot.uplinks[path]; }

  // Wakes the workers polling the group's queues (group_workers.cc).
  void wake_workers() const;
  // Returns once every pass of those workers that started before the call has ended.
  void quiesce_workers() const;
};

}  // namespace vhost_failover
