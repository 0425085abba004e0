// The generator's pure parts, without EAL: the size sequence (IMIX interleaved, bad specs
// refused), the frame headers (lengths, a valid IPv4 checksum, the stamp's place) and the latency
// histogram's percentiles. make -C bench/generator test
#include <rte_ip.h>
#include <rte_udp.h>
#include <stdio.h>
#include <stdlib.h>

#include <algorithm>

#include "frames.h"
#include "latency_histogram.h"

using namespace bench_generator;

static int failures = 0;
#define CHECK(condition)                                              \
  do {                                                                \
    if (!(condition)) {                                               \
      fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #condition); \
      failures++;                                                     \
    }                                                                 \
  } while (0)

static void size_sequences() {
  CHECK(size_sequence("64") == std::vector<uint16_t>{64});
  const auto imix = size_sequence("64x7,570x4,1518x1");
  CHECK(imix.size() == 12);
  CHECK(std::count(imix.begin(), imix.end(), 64) == 7);
  CHECK(std::count(imix.begin(), imix.end(), 570) == 4);
  CHECK(std::count(imix.begin(), imix.end(), 1518) == 1);
  // Interleaved: never three 64-byte frames in a row, never two 570s.
  for (size_t i = 0; i + 2 < imix.size(); i++)
    CHECK(!(imix[i] == 64 && imix[i + 1] == 64 && imix[i + 2] == 64));
  for (size_t i = 0; i + 1 < imix.size(); i++) CHECK(!(imix[i] == 570 && imix[i + 1] == 570));
  for (const char *bad : {"", "63", "1519", "64x0", "abc", "64,,128", "64x7y"})
    CHECK(size_sequence(bad).empty());
}

static void headers() {
  const PortAddresses addresses{{{0x52, 0x54, 0, 0, 0x0b, 1}}, {{2, 0, 0, 0, 0x0b, 2}}};
  for (uint16_t frame_bytes : {64, 570, 1518}) {
    FrameHeader header = frame_header(addresses, 1, frame_bytes);
    CHECK(header.length == frame_bytes - 4);
    auto *ip = reinterpret_cast<rte_ipv4_hdr *>(header.bytes + sizeof(rte_ether_hdr));
    CHECK(rte_be_to_cpu_16(ip->total_length) == frame_bytes - 4 - 14);
    const uint16_t stored = ip->hdr_checksum;
    ip->hdr_checksum = 0;
    CHECK(rte_ipv4_cksum(ip) == stored);
    auto *udp = reinterpret_cast<rte_udp_hdr *>(ip + 1);
    CHECK(udp->dst_port == rte_cpu_to_be_16(kStampUdpPort));
    CHECK(reinterpret_cast<uint8_t *>(udp + 1) == header.bytes + kStampOffset);
  }
}

static void histogram() {
  LatencyHistogram h;
  for (uint64_t ns = 1; ns <= 100000; ns++) h.record(ns);
  const std::string json = h.json();
  const auto field = [&](const char *name) {
    const size_t at = json.find(std::string("\"") + name + "\":");
    return at == std::string::npos ? 0.0 : atof(json.c_str() + at + strlen(name) + 3);
  };
  CHECK(field("count") == 100000);
  CHECK(field("minNs") == 1 && field("maxNs") == 100000);
  // A percentile is its bucket's upper bound: at most 1/16 above the exact value.
  for (auto [name, exact] : {std::pair{"p50Ns", 50000.0}, {"p99Ns", 99000.0}, {"p90Ns", 90000.0}})
    CHECK(field(name) >= exact && field(name) <= exact * (1 + 1.0 / 16));
}

int main() {
  size_sequences();
  headers();
  histogram();
  printf("%s\n", failures == 0 ? "generator tests passed" : "generator tests FAILED");
  return failures == 0 ? 0 : 1;
}
