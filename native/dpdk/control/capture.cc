#include "control/capture.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <chrono>
#include <ctime>

#include "hot/group.h"

namespace vhost_failover {

namespace {

// Each copy's private area: when the worker took it, and the frame's length before snaplen.
struct CaptureStamp {
  uint64_t tsc;
  uint32_t wire_length;
};

// Copies in flight: the ring and the pool hold this many (a power of two for the ring, minus one
// for the pool). At 1 ms between drains that is 2 million frames a second.
constexpr unsigned kRingSlots = 2048;
constexpr unsigned kDrainBurst = 64;
constexpr auto kDrainIdle = std::chrono::milliseconds(1);

uint64_t unix_now_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000 + static_cast<uint64_t>(now.tv_nsec);
}

}  // namespace

void capture_burst(CaptureSink &sink, rte_mbuf *const *pkts, uint16_t n) {
  rte_mbuf *copies[32];
  const uint64_t now = rte_rdtsc();
  uint16_t copied = 0;
  for (uint16_t i = 0; i < n && copied < RTE_DIM(copies); i++) {
    rte_mbuf *copy = rte_pktmbuf_copy(pkts[i], sink.pool, 0, sink.snaplen);
    if (!copy) continue;
    auto *stamp = static_cast<CaptureStamp *>(rte_mbuf_to_priv(copy));
    stamp->tsc = now;
    stamp->wire_length = rte_pktmbuf_pkt_len(pkts[i]);
    copies[copied++] = copy;
  }
  const unsigned queued =
      rte_ring_enqueue_burst(sink.ring, reinterpret_cast<void **>(copies), copied, nullptr);
  if (queued < copied) rte_pktmbuf_free_bulk(copies + queued, copied - queued);
  if (queued < n) sink.frames_dropped.fetch_add(n - queued, std::memory_order_relaxed);
}

std::string CaptureSession::start(const std::string &file, unsigned id) {
  file_ = file;
  sink_.snaplen = limits_.snaplen;
  const std::string name = "capture" + std::to_string(id);
  sink_.ring = rte_ring_create(name.c_str(), kRingSlots, SOCKET_ID_ANY, RING_F_SC_DEQ);
  if (!sink_.ring) return "cannot make the capture's ring: " + std::string(rte_strerror(rte_errno));
  sink_.pool = rte_pktmbuf_pool_create(name.c_str(), kRingSlots - 1, 0,
                                       RTE_ALIGN(sizeof(CaptureStamp), RTE_MBUF_PRIV_ALIGN),
                                       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (!sink_.pool) {
    rte_ring_free(sink_.ring);
    return "cannot make the capture's mbuf pool: " + std::string(rte_strerror(rte_errno));
  }
  std::string error = writer_.open(file, limits_.snaplen);
  if (!error.empty()) {
    rte_ring_free(sink_.ring);
    rte_mempool_free(sink_.pool);
    return error;
  }
  start_unix_ns_ = unix_now_ns();
  start_tsc_ = rte_rdtsc();
  bytes_written_ = writer_.bytes_written();
  running_ = true;
  group_->hot.capture.store(&sink_, std::memory_order_release);
  drainer_ = std::thread(&CaptureSession::drain_loop, this);
  return "";
}

bool CaptureSession::drain() {
  void *copies[kDrainBurst];
  const uint64_t hz = rte_get_tsc_hz();
  unsigned n;
  while ((n = rte_ring_dequeue_burst(sink_.ring, copies, kDrainBurst, nullptr)) != 0) {
    for (unsigned i = 0; i < n; i++) {
      auto *copy = static_cast<rte_mbuf *>(copies[i]);
      const auto *stamp = static_cast<const CaptureStamp *>(rte_mbuf_to_priv(copy));
      const uint64_t record = kPcapRecordHeaderBytes + rte_pktmbuf_pkt_len(copy);
      if (writable_ && writer_.bytes_written() + record > limits_.max_bytes) {
        writable_ = false;
        failure_ = "size";
      }
      if (writable_) {
        // In two parts: an hour of cycles times 10^9 would not fit in 64 bits.
        const uint64_t cycles = stamp->tsc > start_tsc_ ? stamp->tsc - start_tsc_ : 0;
        const uint64_t since_ns = cycles / hz * 1000000000 + cycles % hz * 1000000000 / hz;
        failure_ = writer_.write(start_unix_ns_ + since_ns, copy, stamp->wire_length);
        writable_ = failure_.empty();
        if (writable_) frames_written_.fetch_add(1, std::memory_order_relaxed);
      }
      rte_pktmbuf_free(copy);
    }
    bytes_written_.store(writer_.bytes_written(), std::memory_order_relaxed);
  }
  return writable_;
}

void CaptureSession::drain_loop() {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(limits_.duration_ms);
  std::string why = "stopped";
  while (!stop_requested_.load(std::memory_order_acquire)) {
    if (!drain()) {
      why = failure_;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      why = "time";
      break;
    }
    std::this_thread::sleep_for(kDrainIdle);
  }
  end(why);
}

void CaptureSession::end(const std::string &why) {
  // No worker copies once this returns: then the ring and the pool are ours alone.
  group_->hot.capture.store(nullptr, std::memory_order_release);
  group_->quiesce_workers();
  drain();  // what was copied before the end still counts, if the file has room
  rte_ring_free(sink_.ring);
  rte_mempool_free(sink_.pool);
  writer_.close();
  bytes_written_.store(writer_.bytes_written(), std::memory_order_relaxed);
  ended_ = why;
  running_.store(false, std::memory_order_release);
}

void CaptureSession::stop() {
  stop_requested_.store(true, std::memory_order_release);
  if (drainer_.joinable()) drainer_.join();
}

CaptureReport CaptureSession::report() const {
  CaptureReport report;
  report.file = file_;
  report.running = running_.load(std::memory_order_acquire);
  if (!report.running) report.ended = ended_;
  report.frames_written = frames_written_.load(std::memory_order_relaxed);
  report.frames_dropped = sink_.frames_dropped.load(std::memory_order_relaxed);
  report.bytes_written = bytes_written_.load(std::memory_order_relaxed);
  return report;
}

}  // namespace vhost_failover
