// A group's frames mirrored to a pcap file for a bounded time and size, as dpdk-pdump and
// ovs-tcpdump do. The workers copy each burst they receive (from the guest and from either
// uplink) into a ring of the capture's own; a thread of the capture drains the ring into the
// file. While no capture runs, a burst costs one load and one branch (Group::capture null).
// A copy that finds the ring full or its pool empty is counted and dropped: the capture never
// holds a worker up, nor takes mbufs from the data path's pool.
#pragma once

#include <rte_branch_prediction.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "os/pcap_writer.h"

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

namespace vhost_failover {

struct Group;

// What the workers use of a running capture; Group::capture points at it while it runs.
struct CaptureSink {
  rte_ring *ring = nullptr;
  rte_mempool *pool = nullptr;
  uint32_t snaplen = 0;
  std::atomic<uint64_t> frames_dropped{0};  // ring full or pool empty
};

// Copies a received burst into the capture (worker; called only while a capture runs).
void capture_burst(CaptureSink &sink, rte_mbuf *const *pkts, uint16_t n);

// The worker's check, once per received burst.
inline void mirror_to_capture(const std::atomic<CaptureSink *> &capture, rte_mbuf *const *pkts,
                              uint16_t n) {
  CaptureSink *sink = capture.load(std::memory_order_acquire);
  if (unlikely(sink != nullptr)) capture_burst(*sink, pkts, n);
}

struct CaptureReport {
  std::string file;
  bool running = false;
  std::string ended;  // "time", "size", "stopped", or what failed; "" while running
  uint64_t frames_written = 0;
  uint64_t frames_dropped = 0;
  uint64_t bytes_written = 0;  // the file's size, its header included
};

struct CaptureLimits {
  uint64_t duration_ms = 10000;
  uint64_t max_bytes = 100 << 20;  // the file's size, its header included
  uint32_t snaplen = 65535;        // bytes kept of each frame
};

// One capture of one group, from start() until its time or size runs out, or stop().
class CaptureSession {
 public:
  CaptureSession(std::shared_ptr<Group> group, CaptureLimits limits)
      : group_(std::move(group)), limits_(limits) {}
  CaptureSession(const CaptureSession &) = delete;
  CaptureSession &operator=(const CaptureSession &) = delete;
  ~CaptureSession() { stop(); }

  // Creates the file, the ring and the pool, and starts mirroring; an error text, or "".
  std::string start(const std::string &file, unsigned id);
  // Ends it now if it runs, and returns once the workers no longer copy and the file is closed.
  void stop();
  CaptureReport report() const;

 private:
  void drain_loop();
  // Drains what the ring holds into the file while it may take more; false once it may not.
  bool drain();
  void end(const std::string &why);

  std::shared_ptr<Group> group_;
  CaptureLimits limits_;
  std::string file_;
  CaptureSink sink_;
  PcapWriter writer_;
  bool writable_ = true;  // the drainer's: false once the size is reached or a write failed
  std::string failure_;   // the drainer's: "size", or the write's error
  uint64_t start_unix_ns_ = 0;
  uint64_t start_tsc_ = 0;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> frames_written_{0};
  std::atomic<uint64_t> bytes_written_{0};
  std::string ended_;  // written before running_ is cleared
  std::thread drainer_;
};

}  // namespace vhost_failover
