// The worker's quiescence protocol under ThreadSanitizer, with real threads and no DPDK: the
// real Worker (worker.cc: publish, quiesce, worker_main) polls groups through a stand-in for
// poll_group that touches what the real one touches after the same checks (forward.cc): the
// group itself while started, its guest's device while it has one (the guest word,
// guest_session.h), the port transmit_path() picks, and every uplink that is present (receive).
// Ports' state and groups are freed as dataplane.cc frees them, in its order:
//   remove a group:   publish a list without it, then free its ports and it;
//   detach a primary: clear eligibility, quiesce, clear present, quiesce, then free the port;
//   attach a primary: make the port, then set present and eligible (release stores).
//   a guest leaves:   destroy_device clears the guest word, then waits out the group's workers
//                     (Group::quiesce_workers, vhost_user.cc), then lib/vhost frees the device.
// Two workers each poll a share of the groups; stats are summed meanwhile, as the status op does.
// A wrong order or a missing wait is a data race TSan reports (exit status 66).
//
// Why not TSan on the daemon itself: ThreadSanitizer needs every thread's memory accesses
// instrumented, and the daemon's live in Node and in DPDK's drivers and lock-free rings, built
// without it; preloaded into an uninstrumented Node it cannot even map its shadow memory beside
// DPDK's hugepage mappings. This program puts the one protocol our threads share under it.
//
//   quiescence_stress [--rounds N] [--skip publish|second-wait|guest-left]
// --skip leaves out one wait that memory safety rests on (the publish before a group is freed,
// the detach's second quiesce before its port is freed, destroy_device's wait before a guest's
// device is freed), to prove the check sees each: TSan must then report. (The detach's first wait
// orders the tx drain, not memory: it is not one of them.) (Built with -Wno-tsan: TSan does not
// model quiesce()'s seq_cst fence. The fence makes the worker's next pass see a flag; the
// happens-before TSan checks comes from the release store and acquire loads of `passes`, which it
// does model.)
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hot/forward.h"
#include "hot/worker.h"

namespace vhost_failover {

// A port's driver state, or a guest's lib/vhost device, as the worker reads it while sending;
// freed on close, or when the guest leaves.
struct PortState {
  uint64_t frames = 0;
};
constexpr uint16_t kPorts = 64;
PortState *ports[kPorts] = {};  // by port id or vid; written by control threads, read by workers

// Stand-in for forward.cc: the same reads, in the same order, as a pass of the real one.
unsigned poll_group(Group &group, uint16_t, unsigned lcore_id) {
  if (!group.hot.started.load(std::memory_order_relaxed)) return 0;
  Counters &counters = group.hot.counters.slot[lcore_id];
  count(counters.guest_dequeued, group.name.size() != 0);
  const uint64_t guest = group.hot.guest.load();
  if (guest != GuestSession::kNone)
    ports[GuestSession::vid(guest)]->frames++;  // only the polling worker writes them
  const Path path = group.hot.transmit_path();
  if (path != kNoPath) {
    ports[group.uplink(path).port_id]->frames++;
    count(counters.tx_packets[path], 1);
  }
  for (Path uplink : {kPrimary, kStandby})
    if (group.uplink(uplink).present.load(std::memory_order_acquire)) {
      ports[group.uplink(uplink).port_id]->frames++;
      count(counters.rx_packets[uplink], 1);
    }
  return 1;
}

}  // namespace vhost_failover

using namespace vhost_failover;

namespace {

// Which wait to leave out, if any (see --skip).
enum class Skip { kNothing, kPublish, kSecondWait, kGuestLeft } skip = Skip::kNothing;

// One control thread's share: its worker, its groups, its port ids.
struct Lane {
  Worker worker;
  std::vector<std::unique_ptr<Group>> groups;
  uint16_t first_port = 0;
};

std::unique_ptr<Group> make_group(const std::string &name, uint16_t guest_vid,
                                  uint16_t standby_port) {
  auto group = std::make_unique<Group>();
  group->name = name;
  ports[guest_vid] = new PortState;
  group->hot.guest.connected(guest_vid, false);
  group->hot.started.store(true, std::memory_order_relaxed);  // published by the list
  Uplink &standby = group->uplink(kStandby);
  standby.port_id = standby_port;
  ports[standby_port] = new PortState;
  standby.link_up.store(true, std::memory_order_relaxed);
  standby.present.store(true, std::memory_order_release);
  return group;
}

// destroy_device, then new_device: the departing guest's device freed, the next one's made.
void guest_leaves_and_returns(Group &group) {
  const int vid = GuestSession::vid(group.hot.guest.load());
  group.hot.guest.disconnected();
  if (skip != Skip::kGuestLeft) group.quiesce_workers();
  delete ports[vid];
  ports[vid] = new PortState;
  group.hot.guest.connected(vid, false);
}

void publish_groups(Lane &lane) {
  auto list = std::make_unique<GroupList>();
  for (auto &group : lane.groups) {
    group->control.queue_workers[0].store(&lane.worker, std::memory_order_release);
    list->units.push_back({group.get(), 0});
  }
  if (skip == Skip::kPublish) {
    lane.worker.polled.store(list.get(), std::memory_order_release);
    lane.worker.owned = std::move(list);
  } else {
    lane.worker.publish(std::move(list));
  }
}

void attach(Group &group, uint16_t port_id) {
  Uplink &primary = group.uplink(kPrimary);
  ports[port_id] = new PortState;
  primary.port_id = port_id;
  primary.link_up.store(true, std::memory_order_relaxed);
  primary.present.store(true, std::memory_order_release);
  group.hot.primary_eligible.store(true, std::memory_order_release);
}

void detach(Lane &lane, Group &group) {
  Uplink &primary = group.uplink(kPrimary);
  group.hot.primary_eligible.store(false, std::memory_order_release);
  lane.worker.quiesce();  // the burst in flight on the primary ends (the tx drain's order)
  primary.present.store(false);
  primary.link_up.store(false);
  if (skip != Skip::kSecondWait) lane.worker.quiesce();  // no receive from it is running
  delete ports[primary.port_id];
  ports[primary.port_id] = nullptr;
}

void remove_last_group(Lane &lane) {
  std::unique_ptr<Group> gone = std::move(lane.groups.back());
  lane.groups.pop_back();
  publish_groups(lane);
  if (gone->hot.primary_eligible.load()) detach(lane, *gone);
  for (int port :
       {GuestSession::vid(gone->hot.guest.load()), int{gone->uplink(kStandby).port_id}}) {
    delete ports[port];
    ports[port] = nullptr;
  }
  // gone is freed here: the worker must no longer see it.
}

void run_lane(Lane &lane, int rounds, uint64_t *frames_summed) {
  const uint16_t standby_port = lane.first_port, primary_port = lane.first_port + 1,
                 extra_standby = lane.first_port + 2, guest_vid = lane.first_port + 3,
                 extra_guest = lane.first_port + 4;
  lane.groups.push_back(make_group("vm-a", guest_vid, standby_port));
  publish_groups(lane);
  for (int round = 0; round < rounds; round++) {
    Group &group = *lane.groups.front();
    attach(group, primary_port);
    detach(lane, group);
    guest_leaves_and_returns(group);
    // A second group comes and goes beside it, sometimes with the primary attached.
    lane.groups.push_back(make_group("vm-b-" + std::to_string(round), extra_guest, extra_standby));
    publish_groups(lane);
    if (round % 2 == 0) attach(*lane.groups.back(), primary_port);
    remove_last_group(lane);
    *frames_summed += group.hot.counters.sum().tx_packets[kStandby];  // a stats read meanwhile
  }
  remove_last_group(lane);
}

}  // namespace

int main(int argc, char **argv) {
  int rounds = 200;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--skip") == 0 && i + 1 < argc) {
      const char *wait = argv[++i];
      skip = std::strcmp(wait, "publish") == 0      ? Skip::kPublish
             : std::strcmp(wait, "guest-left") == 0 ? Skip::kGuestLeft
                                                    : Skip::kSecondWait;
    }
    if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) rounds = std::atoi(argv[++i]);
  }
  Lane lanes[2];
  std::vector<std::thread> workers;
  for (unsigned i = 0; i < 2; i++) {
    lanes[i].worker.lcore_id = i + 1;
    lanes[i].first_port = static_cast<uint16_t>(i * 8);
    workers.emplace_back([&lane = lanes[i]] { worker_main(&lane.worker); });
    while (!lanes[i].worker.running.load()) std::this_thread::yield();
  }
  uint64_t summed[2] = {0, 0};
  std::thread control_a([&] { run_lane(lanes[0], rounds, &summed[0]); });
  std::thread control_b([&] { run_lane(lanes[1], rounds, &summed[1]); });
  control_a.join();
  control_b.join();
  for (Lane &lane : lanes) lane.worker.stop_requested = true;
  for (std::thread &worker : workers) worker.join();
  std::printf("quiescence stress: %d rounds on 2 workers%s; frames summed %llu\n", rounds,
              skip == Skip::kNothing ? "" : " (a wait left out)",
              static_cast<unsigned long long>(summed[0] + summed[1]));
  return 0;
}
