#include "frames.h"

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>
#include <stdlib.h>
#include <string.h>

#include <sstream>

namespace bench_generator {

constexpr uint16_t kMinFrameBytes = 64;
constexpr uint16_t kMaxFrameBytes = 1518;

FrameHeader frame_header(const PortAddresses &addresses, uint16_t tx_port, uint16_t frame_bytes) {
  FrameHeader header{};
  header.length = frame_bytes - kFcsBytes;
  auto *eth = reinterpret_cast<rte_ether_hdr *>(header.bytes);
  eth->src_addr = addresses.src;
  eth->dst_addr = addresses.dst;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  auto *ip = reinterpret_cast<rte_ipv4_hdr *>(eth + 1);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_UDP;
  ip->total_length = rte_cpu_to_be_16(header.length - sizeof(rte_ether_hdr));
  // One flow per sending port (198.18.0.0/15, RFC 2544's benchmarking range).
  ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(198, 18, 0, 1 + tx_port));
  ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(198, 19, 0, 1 + tx_port));
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  auto *udp = reinterpret_cast<rte_udp_hdr *>(ip + 1);
  udp->src_port = rte_cpu_to_be_16(1024 + tx_port);
  udp->dst_port = rte_cpu_to_be_16(kStampUdpPort);
  udp->dgram_len = rte_cpu_to_be_16(header.length - sizeof(rte_ether_hdr) - sizeof(rte_ipv4_hdr));
  return header;
}

std::vector<uint16_t> size_sequence(const std::string &spec) {
  std::vector<std::pair<uint16_t, unsigned>> weighted;
  std::stringstream items(spec);
  std::string item;
  while (std::getline(items, item, ',')) {
    char *rest = nullptr;
    const long bytes = strtol(item.c_str(), &rest, 10);
    const long weight = *rest == 'x' ? strtol(rest + 1, &rest, 10) : 1;
    if (*rest != '\0' || bytes < kMinFrameBytes || bytes > kMaxFrameBytes || weight < 1 ||
        weight > 1000)
      return {};
    weighted.emplace_back(static_cast<uint16_t>(bytes), static_cast<unsigned>(weight));
  }
  // Smooth interleaving: each slot goes to the size furthest behind its share (so IMIX's one
  // 1518-byte frame in 12 is not sent in a clump).
  unsigned total = 0;
  for (auto &w : weighted) total += w.second;
  std::vector<uint16_t> sequence;
  std::vector<long> credit(weighted.size(), 0);
  for (unsigned slot = 0; slot < total; slot++) {
    size_t best = 0;
    for (size_t i = 0; i < weighted.size(); i++) {
      credit[i] += weighted[i].second;
      if (credit[i] > credit[best]) best = i;
    }
    credit[best] -= total;
    sequence.push_back(weighted[best].first);
  }
  return sequence;
}

}  // namespace bench_generator
