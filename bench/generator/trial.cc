#include "trial.h"

#include <inttypes.h>
#include <math.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_udp.h>
#include <stdio.h>
#include <string.h>

#include <memory>

#include "latency_histogram.h"

namespace bench_generator {

constexpr uint16_t kBurst = 32;
constexpr uint16_t kMaxPorts = 8;

struct SenderState {
  std::vector<FrameHeader> headers;  // one per entry of the size sequence
  uint64_t total = 0;                // frames this trial offers on the port
  uint64_t offered = 0;              // handed to the port so far, taken or not
  uint64_t refused = 0;              // the port's ring was full: on a wire, the receiver's miss
  size_t next_size = 0;
  uint32_t next_seq = 0;
};

struct Tally {
  uint64_t received[kMaxPorts][kMaxPorts] = {};  // [sending port][receiving port]
  uint32_t expected_seq[kMaxPorts] = {};
  uint64_t out_of_order = 0;
  uint64_t stale = 0;    // stamped by an earlier trial
  uint64_t foreign = 0;  // not the generator's
  uint64_t no_mbuf = 0;  // passes the pool was empty: frames offered late
  uint64_t max_backlog = 0;
  LatencyHistogram latency;
};

static bool is_generator_frame(const rte_mbuf *m) {
  if (m->data_len < kStampOffset + sizeof(Stamp)) return false;
  const auto *data = rte_pktmbuf_mtod(m, const uint8_t *);
  const auto *udp =
      reinterpret_cast<const rte_udp_hdr *>(data + kStampOffset - sizeof(rte_udp_hdr));
  return udp->dst_port == rte_cpu_to_be_16(kStampUdpPort);
}

static void account(Tally &tally, uint16_t trial, uint16_t rx_port, rte_mbuf **pkts, uint16_t n,
                    uint64_t now, double ns_per_cycle) {
  for (uint16_t i = 0; i < n; i++) {
    if (!is_generator_frame(pkts[i])) {
      tally.foreign++;
      continue;
    }
    Stamp stamp;
    memcpy(&stamp, rte_pktmbuf_mtod_offset(pkts[i], const uint8_t *, kStampOffset), sizeof stamp);
    if (stamp.trial != trial || stamp.tx_port >= kMaxPorts) {
      tally.stale++;
      continue;
    }
    tally.received[stamp.tx_port][rx_port]++;
    if (stamp.seq < tally.expected_seq[stamp.tx_port])
      tally.out_of_order++;
    else
      tally.expected_seq[stamp.tx_port] = stamp.seq + 1;
    tally.latency.record(
        static_cast<uint64_t>(static_cast<double>(now - stamp.tx_tsc) * ns_per_cycle));
  }
  rte_pktmbuf_free_bulk(pkts, n);
}

static void receive_all(Tally &tally, uint16_t trial, uint16_t ports, double ns_per_cycle) {
  rte_mbuf *pkts[kBurst];
  for (uint16_t port = 0; port < ports; port++) {
    const uint16_t n = rte_eth_rx_burst(port, 0, pkts, kBurst);
    if (n > 0) account(tally, trial, port, pkts, n, rte_rdtsc(), ns_per_cycle);
  }
}

// Sends what the schedule owes the port by `now`, a burst at most.
static void send_due(SenderState &s, uint16_t port, uint16_t trial, uint64_t due, uint64_t now,
                     rte_mempool *pool, Tally &tally) {
  if (due > s.total) due = s.total;
  if (due <= s.offered) return;
  const uint64_t owed = due - s.offered;
  if (owed > tally.max_backlog) tally.max_backlog = owed;
  const uint16_t n = owed < kBurst ? static_cast<uint16_t>(owed) : kBurst;
  rte_mbuf *pkts[kBurst];
  if (rte_pktmbuf_alloc_bulk(pool, pkts, n) != 0) {
    tally.no_mbuf++;
    return;
  }
  for (uint16_t i = 0; i < n; i++) {
    const Stamp stamp{now, s.next_seq++, trial, port};
    write_frame(pkts[i], s.headers[s.next_size], stamp);
    s.next_size = s.next_size + 1 == s.headers.size() ? 0 : s.next_size + 1;
  }
  const uint16_t taken = rte_eth_tx_burst(port, 0, pkts, n);
  if (taken < n) rte_pktmbuf_free_bulk(pkts + taken, n - taken);
  s.offered += n;
  s.refused += n - taken;
}

static void flush_receive_rings(uint16_t ports) {
  rte_mbuf *pkts[kBurst];
  for (uint16_t port = 0; port < ports; port++)
    for (uint16_t n; (n = rte_eth_rx_burst(port, 0, pkts, kBurst)) > 0;)
      rte_pktmbuf_free_bulk(pkts, n);
}

static uint64_t received_total(const Tally &tally, uint16_t ports) {
  uint64_t total = 0;
  for (uint16_t tx = 0; tx < ports; tx++)
    for (uint16_t rx = 0; rx < ports; rx++) total += tally.received[tx][rx];
  return total;
}

static std::string result_json(const TrialSpec &spec, const SenderState *senders,
                               const Tally &tally, uint16_t ports, double tx_seconds) {
  uint64_t offered = 0, refused = 0;
  std::string per_port = "[";
  for (uint16_t p = 0; p < ports; p++) {
    offered += senders[p].offered;
    refused += senders[p].refused;
    char row[256];
    snprintf(row, sizeof row,
             "%s{\"port\":%u,\"offered\":%" PRIu64 ",\"refused\":%" PRIu64 ",\"receivedOn\":[",
             p ? "," : "", p, senders[p].offered, senders[p].refused);
    per_port += row;
    for (uint16_t rx = 0; rx < ports; rx++)
      per_port += (rx ? "," : "") + std::to_string(tally.received[p][rx]);
    per_port += "]}";
  }
  per_port += "]";
  const uint64_t received = received_total(tally, ports);
  char head[768];
  snprintf(head, sizeof head,
           "{\"trial\":%u,\"ratePps\":%.0f,\"seconds\":%.3f,\"txSeconds\":%.6f,\"offered\":%" PRIu64
           ",\"refused\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRId64
           ",\"outOfOrder\":%" PRIu64 ",\"stale\":%" PRIu64 ",\"foreign\":%" PRIu64
           ",\"noMbufPasses\":%" PRIu64 ",\"maxBacklogFrames\":%" PRIu64 ",",
           spec.id, spec.rate_pps, spec.seconds, tx_seconds, offered, refused, received,
           static_cast<int64_t>(offered - received), tally.out_of_order, tally.stale, tally.foreign,
           tally.no_mbuf, tally.max_backlog);
  return std::string(head) + "\"ports\":" + per_port + ",\"latency\":" + tally.latency.json() + "}";
}

std::string run_trial(const TrialSpec &spec, const std::vector<PortAddresses> &addresses,
                      rte_mempool *pool) {
  const uint16_t ports = static_cast<uint16_t>(addresses.size());
  const double hz = static_cast<double>(rte_get_tsc_hz());
  const double ns_per_cycle = 1e9 / hz;
  const double frames_per_cycle = spec.rate_pps / hz;
  SenderState senders[kMaxPorts];
  for (uint16_t port : spec.tx_ports) {
    senders[port].total = llround(spec.rate_pps * spec.seconds);
    for (uint16_t frame_bytes : spec.sizes)
      senders[port].headers.push_back(frame_header(addresses[port], port, frame_bytes));
  }
  auto tally = std::make_unique<Tally>();
  flush_receive_rings(ports);

  // The schedule: frame k of each port is due k / rate seconds after the start. A generator
  // that falls behind (descheduled) catches up a burst at a time; maxBacklogFrames says so.
  const uint64_t start = rte_rdtsc();
  const uint64_t give_up = start + static_cast<uint64_t>((2 * spec.seconds + 1) * hz);
  for (bool sending = true; sending;) {
    const uint64_t now = rte_rdtsc();
    const uint64_t due = static_cast<uint64_t>(static_cast<double>(now - start) * frames_per_cycle);
    sending = false;
    for (uint16_t port : spec.tx_ports) {
      send_due(senders[port], port, spec.id, due, now, pool, *tally);
      sending = sending || senders[port].offered < senders[port].total;
    }
    receive_all(*tally, spec.id, ports, ns_per_cycle);
    sending = sending && now < give_up;
  }
  const double tx_seconds = static_cast<double>(rte_rdtsc() - start) / hz;

  // Drain: until every frame a port took is back, or drain_ms (then the rest is lost).
  uint64_t taken = 0;
  for (uint16_t port : spec.tx_ports) taken += senders[port].offered - senders[port].refused;
  const uint64_t drain_end = rte_rdtsc() + static_cast<uint64_t>(spec.drain_ms * hz / 1000);
  while (received_total(*tally, ports) < taken && rte_rdtsc() < drain_end)
    receive_all(*tally, spec.id, ports, ns_per_cycle);
  return result_json(spec, senders, *tally, ports, tx_seconds);
}

}  // namespace bench_generator
